import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { LabContext } from "../lab/context.js";
import { memoryFigures, parseMemoryStat } from "../lab/repro/memory.js";
import {
  cgroupMemoryInProbe,
  diskUsageKiB,
  etcdctlDel,
  etcdctlGet,
  etcdctlHealthyUrls,
  etcdctlMemberAdd,
  etcdctlMemberList,
  etcdctlMemberRemove,
  etcdctlPut,
  listDirInProbe,
  sha256InProbe,
} from "../lab/tools/inPod.js";
import { defaultConfig } from "./support/config.js";
import { testContext } from "./support/context.js";
import { FakeRunner } from "./support/fakeRunner.js";
import { InPodCommands } from "./support/inPod.js";

/**
 * The exact argv of each in-pod adapter lab/repro and lab/etcd use, answered by THE model of
 * in-pod commands (test/support/inPod.ts). The model's two facts from the API server, which etcd
 * pods are Ready and which pods exist, are given here directly: three etcd members and every pod
 * but "gone". The default config: context anka-lab (the minikube profile), namespace anka.
 */
const NS = "anka";
const member = (i: number) => `http://etcd-${i}.etcd-headless.${NS}.svc.cluster.local:2379`;
const EXEC_ETCD = (i: number) => ["kubectl", "--context", "anka-lab", "exec", "-n", NS, `etcd-${i}`, "-c", "etcd", "--", "etcdctl", "--endpoints=http://127.0.0.1:2379"];
const EXEC_PROBE = (pod: string) => ["kubectl", "--context", "anka-lab", "exec", "-n", NS, pod, "-c", "probe", "--"];

let inPod: InPodCommands;
let runner: FakeRunner;
let ctx: LabContext;
const argvs = () => runner.calls.map((c) => c.argv);

function contextFor(dryRun: boolean): LabContext {
  return testContext(defaultConfig(), runner, { dryRun, waits: { timeoutMs: 5000, intervalMs: 50 } });
}

beforeEach(() => {
  inPod = new InPodCommands(
    async (namespace) => (namespace === NS ? [0, 1, 2].map(member) : []),
    async (_, pod) => pod !== "gone",
  );
  runner = new FakeRunner();
  runner.handle((argv) => inPod.answer(argv));
  ctx = contextFor(false);
});

describe("etcdctl adapters (lab/tools/inPod.ts)", () => {
  it("lists members with `member list -w simple` and parses etcdctl's simple format", async () => {
    const members = await etcdctlMemberList(ctx, 1);
    expect(argvs()).toEqual([[...EXEC_ETCD(1), "member", "list", "-w", "simple"]]);
    expect(members?.map((m) => [m.name, m.started, m.peerUrls, m.clientUrls])).toEqual(
      [0, 1, 2].map((i) => [`etcd-${i}`, true, [member(i).replace(/2379$/, "2380")], [member(i)]]),
    );
  });

  it("reads no members when the pod's etcdctl does not answer", async () => {
    runner.failWhen(() => true, { exitCode: 1, stderr: 'error: unable to upgrade connection: container not found ("etcd")\n' });
    expect(await etcdctlMemberList(ctx, 0)).toBeUndefined();
  });

  it("asks health cluster-wide as JSON and keeps the healthy client URLs", async () => {
    inPod.unhealthy.add("etcd-2");
    const healthy = await etcdctlHealthyUrls(ctx, 0);
    expect(argvs()).toEqual([[...EXEC_ETCD(0), "endpoint", "health", "--cluster", "-w", "json"]]);
    expect([...healthy].sort()).toEqual([member(0), member(1)]);
  });

  it("adds and removes a member as changes: exact argv, recorded under --dry-run", async () => {
    const url = `http://etcd-3.etcd-headless.${NS}.svc.cluster.local:2380`;
    const added = await etcdctlMemberAdd(ctx, 0, "etcd-3", url);
    expect(added.stdout).toMatch(/^Member [0-9a-f]+ added to cluster /);
    const id = (await etcdctlMemberList(ctx, 0))!.find((m) => m.peerUrls[0] === url)!.id;
    await etcdctlMemberRemove(ctx, 0, id);
    expect(argvs().filter((a) => a.includes("add") || a.includes("remove"))).toEqual([
      [...EXEC_ETCD(0), "member", "add", "etcd-3", `--peer-urls=${url}`],
      [...EXEC_ETCD(0), "member", "remove", id],
    ]);
    expect((await etcdctlMemberList(ctx, 0))!.map((m) => m.name)).toEqual(["etcd-0", "etcd-1", "etcd-2"]);

    const planned = contextFor(true);
    const before = runner.calls.length;
    await etcdctlMemberAdd(planned, 1, "etcd-3", url);
    await etcdctlMemberRemove(planned, 1, "8e9e05c52164694d");
    expect(runner.calls.length).toBe(before);
    expect(planned.plan).toEqual([
      `kubectl --context anka-lab exec -n ${NS} etcd-1 -c etcd -- etcdctl --endpoints=http://127.0.0.1:2379 member add etcd-3 --peer-urls=${url}`,
      `kubectl --context anka-lab exec -n ${NS} etcd-1 -c etcd -- etcdctl --endpoints=http://127.0.0.1:2379 member remove 8e9e05c52164694d`,
    ]);
  });

  it("hands back etcd's refusal when asked to tolerate it, and throws it otherwise", async () => {
    const refused = await etcdctlMemberRemove(ctx, 0, "ffff", { allowFailure: true });
    expect([refused.exitCode, refused.stderr]).toEqual([1, "Error: etcdserver: member not found\n"]);
    await expect(etcdctlMemberRemove(ctx, 0, "ffff")).rejects.toThrow(/member not found/);
  });

  it("puts, gets the value alone and deletes a key", async () => {
    await etcdctlPut(ctx, 0, "/anka-lab/k", "v 1");
    expect(await etcdctlGet(ctx, 2, "/anka-lab/k")).toBe("v 1");
    await etcdctlDel(ctx, 0, "/anka-lab/k");
    expect(await etcdctlGet(ctx, 1, "/anka-lab/k")).toBe("");
    expect(argvs()).toEqual([
      [...EXEC_ETCD(0), "put", "/anka-lab/k", "v 1"],
      [...EXEC_ETCD(2), "get", "/anka-lab/k", "--print-value-only"],
      [...EXEC_ETCD(0), "del", "/anka-lab/k"],
      [...EXEC_ETCD(1), "get", "/anka-lab/k", "--print-value-only"],
    ]);
  });

  it("deletes a key tolerating a pod that is gone only when asked", async () => {
    runner.failWhen(() => true, { exitCode: 1, stderr: 'Error from server (NotFound): pods "etcd-0" not found\n' }, 2);
    await etcdctlDel(ctx, 0, "/k", { allowFailure: true });
    await expect(etcdctlDel(ctx, 0, "/k")).rejects.toThrow(/NotFound/);
  });
});

describe("probe container programs (lab/tools/inPod.ts), run for real by the model", () => {
  let volume: string;
  beforeEach(() => {
    volume = mkdtempSync(join(tmpdir(), "anka-lab-tools-vol-"));
    inPod.podVolume = volume;
  });

  it("lists a directory's names, none for a missing one", async () => {
    mkdirSync(join(volume, "anka-lab-probe", ".partial"), { recursive: true });
    writeFileSync(join(volume, "anka-lab-probe", ".partial", "pod-a-1.part"), "x");
    writeFileSync(join(volume, "anka-lab-probe", ".partial", "pod-b-2.part"), "y");
    expect((await listDirInProbe(ctx, "pod-a", "/mnt/vol/anka-lab-probe/.partial")).sort()).toEqual(["pod-a-1.part", "pod-b-2.part"]);
    expect(await listDirInProbe(ctx, "pod-a", "/mnt/vol/nothing")).toEqual([]);
    const [first] = argvs();
    expect(first!.slice(0, 12)).toEqual([...EXEC_PROBE("pod-a"), "node", "-e"]);
    expect(first!.slice(13)).toEqual(["/mnt/vol/anka-lab-probe/.partial"]);
  });

  it("hashes a file with sha256, and says when there is none", async () => {
    writeFileSync(join(volume, "f.bin"), "hello");
    expect(await sha256InProbe(ctx, "pod-b", "/mnt/vol/f.bin")).toBe(createHash("sha256").update("hello").digest("hex"));
    expect(await sha256InProbe(ctx, "pod-b", "/mnt/vol/missing.bin")).toBeUndefined();
    expect(argvs().map((a) => [...a.slice(0, 12), a[13]])).toEqual([
      [...EXEC_PROBE("pod-b"), "node", "-e", "/mnt/vol/f.bin"],
      [...EXEC_PROBE("pod-b"), "node", "-e", "/mnt/vol/missing.bin"],
    ]);
  });

  it("reads the container's cgroup memory files, as this machine's cgroup has them", async () => {
    const files = await cgroupMemoryInProbe(ctx, "pod-c");
    expect(argvs()[0]!.slice(0, 12)).toEqual([...EXEC_PROBE("pod-c"), "node", "-e"]);
    expect(argvs()[0]).toHaveLength(13);
    const v2 = existsSync("/sys/fs/cgroup/memory.stat");
    const v1 = existsSync("/sys/fs/cgroup/memory/memory.stat");
    if (!v2 && !v1) return expect(files).toBeUndefined();
    // The figures move between two reads; the keys the kernel writes do not.
    const keys = (text: string) => [...parseMemoryStat(text).keys()];
    expect(keys(files!.stat)).toEqual(keys(readFileSync(v2 ? "/sys/fs/cgroup/memory.stat" : "/sys/fs/cgroup/memory/memory.stat", "utf8")));
    expect(memoryFigures(files!.stat, files!.usage).cgroup).toBe(v2 ? "v2" : "v1");
  });

  it("reads no memory figures from a pod that is gone", async () => {
    expect(await cgroupMemoryInProbe(ctx, "gone")).toBeUndefined();
  });
});

describe("du in a pod's default container (lab/tools/inPod.ts)", () => {
  it("reads `du -sk <dir>` as KiB, undefined when the pod is gone", async () => {
    inPod.spoolKiB = 6144;
    expect(await diskUsageKiB(ctx, "ingress-nginx", "ingress-nginx-controller-5d8", "/tmp/nginx/client-body")).toBe(6144);
    expect(await diskUsageKiB(ctx, "ingress-nginx", "gone", "/tmp/nginx/client-body")).toBeUndefined();
    expect(argvs()[0]).toEqual(["kubectl", "--context", "anka-lab", "exec", "-n", "ingress-nginx", "ingress-nginx-controller-5d8", "--", "du", "-sk", "/tmp/nginx/client-body"]);
  });
});
