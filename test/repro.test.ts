import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reproCommand, reproSpec, type ReproDeps } from "../lab/commands/repro.js";
import { upCommand, upSpec } from "../lab/commands/up.js";
import { startProbe, type RunningProbe } from "../lab/local/probe.js";
import { PushError, type PushOptions, type PushResult } from "../lab/push/client.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { isMutating } from "./support/fakeRunner.js";
import { ankaStubs, harness, type AnkaStubs, type Harness } from "./support/lab.js";

let stubs: AnkaStubs;
let probe: RunningProbe;
const volume = mkdtempSync(join(tmpdir(), "anka-lab-repro-vol-"));
beforeAll(async () => {
  stubs = await ankaStubs();
  probe = await startProbe({ volume, pod: "anka-build-cloud-7d9c8b6f5-ax0" });
});
afterAll(async () => {
  await probe?.stop();
  await stubs?.close();
});

let cluster: FakeCluster;
let lab: Harness;
let ports: string[];
beforeEach(async () => {
  stubs.controllerOk = () => true;
  cluster = new FakeCluster();
  cluster.podVolume = volume;
  lab = harness(cluster, stubs);
  ports = ["--set", `probe.port=${probe.port}`];
  expect(await lab.run(upSpec, upCommand, ...ports)).toBe(0);
  lab.io.stdout.length = 0;
});

/** A push that answers as `decide` says, without moving bytes. */
function scriptedPush(decide: (options: Omit<PushOptions, "signal">) => Partial<PushResult> | Error): ReproDeps["push"] {
  return async (options) => {
    const outcome = decide(options);
    if (outcome instanceof Error) throw outcome;
    const files = options.template.files.map((f) => ({ path: f.path, size: f.size, sha256: "0".repeat(64), seconds: 0.1, attempts: 1, pod: "anka-build-cloud-7d9c8b6f5-ax0", answerSeconds: 0.05 }));
    return { files, bytes: options.template.totalSize, seconds: 1, bytesPerSecond: 3e8, checksumSeconds: 0.1, ...outcome };
  };
}

function repro(deps: ReproDeps, ...argv: string[]) {
  lab.deps = { ...lab.deps, ...deps } as never;
  return lab.run(reproSpec, (args, io, d) => reproCommand(args, io, d as ReproDeps), ...argv, ...ports, "--size", "8Mi");
}

const reproIngress = () => [...cluster.objects.values()].find((o) => o.kind === "Ingress" && o.metadata.name === "anka-lab-repro") as any;
const nginx413 = () =>
  new PushError('413 from nginx: the Ingress lacks proxy-body-size: "0" (ingress-nginx refuses bodies over 1m by default); the lab\'s registry Ingress sets it, check the annotations on yours', false, 413);
const always = { httpOk: async () => true };

describe("lab:repro ingress-body-size", () => {
  const pushByAnnotations = scriptedPush(() => (reproIngress()?.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"] === "0" ? {} : nginx413()));

  it("reproduces the 413, fixes it with proxy-body-size: 0, and removes its Ingress", async () => {
    const before = cluster.runner.calls.length;
    expect(await repro({ ...always, push: pushByAnnotations }, "ingress-body-size")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the Ingress refused the push with 413\n  413 from nginx: the Ingress lacks proxy-body-size");
    expect(out).toContain("fixed: the push of 4 files went through the Ingress");
    expect(out).toMatch(/lab restored$/);
    expect(out).toContain("fact: ingress-nginx's proxy-body-size defaults to 1m");
    const plan = cluster.runner.calls.slice(before).filter(isMutating).map((c) => c.argv.slice(3, 6).join(" "));
    expect(plan).toEqual(["apply --server-side --field-manager=anka-lab-repro", "apply --server-side --field-manager=anka-lab-repro", "delete ingress anka-lab-repro"]);
    expect(reproIngress()).toBeUndefined();
    expect(cluster.names("Ingress")).toEqual(["anka-controller", "anka-registry"]);
  });

  it("says why when the symptom does not show, and still restores", async () => {
    expect(await repro({ ...always, push: scriptedPush(() => ({})) }, "ingress-body-size")).toBe(1);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("not reproduced here, because the push of 4 files went through the Ingress");
    expect(reproIngress()).toBeUndefined();
  });

  it("leaves the broken state with --keep", async () => {
    expect(await repro({ ...always, push: pushByAnnotations }, "ingress-body-size", "--keep")).toBe(0);
    expect(lab.io.stdout.join("\n")).toMatch(/reproduced: [\s\S]*left broken for investigation \(--keep\)/);
    expect(reproIngress().metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"]).toBeUndefined();
  });
});

describe("lab:repro ingress-request-buffering", () => {
  it("shows the stall and the spool with buffering on, none with it off", async () => {
    // Like nginx: the spool holds the body only while the push runs, and is gone when it answers.
    const sampled = () => new Promise<void>((resolve) => (cluster.onKubectl = (_, argv) => argv.includes("du") && resolve()));
    const push: ReproDeps["push"] = async (options) => {
      const buffering = reproIngress().metadata.annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] === "on";
      cluster.spoolKiB = buffering ? 6 * 1024 : 0;
      await sampled();
      cluster.spoolKiB = 0;
      return scriptedPush(() => ({
        files: [{ path: "images/layer-0.ank", size: 7 * 2 ** 20, sha256: "0".repeat(64), seconds: 9, attempts: 1, pod: "p", answerSeconds: buffering ? 8.5 : 0.02 }],
      }))!(options);
    };
    expect(await repro({ ...always, push }, "ingress-request-buffering")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the Ingress spooled the body before the registry saw it (stall 8.5 s after 100%, 6.0 MiB on the ingress pod's disk)");
    expect(out).toContain("  the ingress pod's /tmp/nginx/client-body peaked at 6.0 MiB");
    expect(out).toContain("fixed: the body streamed through (stall 0.0 s, 0 B spooled)");
  });

  it("restores even when the push fails in the middle", async () => {
    const push = scriptedPush(() => new PushError("nothing listens at 127.0.0.1:8080: is the lab up and its tunnel running (npm run lab:status)?", true));
    expect(await repro({ ...always, push }, "ingress-request-buffering")).toBe(1);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("stopped in act: nothing listens at 127.0.0.1:8080");
    expect(out).toMatch(/lab restored$/);
    expect(reproIngress()).toBeUndefined();
  });
});

describe("lab:repro registry-memory-limit", () => {
  it("limits the registry, reports OOMKilled restarts, and puts the lab back", async () => {
    const push = scriptedPush(() => {
      if (cluster.probeLimit()) {
        cluster.restarts++;
        return new PushError("connection reset mid-transfer: something between you and the registry cut it", true);
      }
      return {};
    });
    expect(await repro({ ...always, push }, "registry-memory-limit", "--memory-limit", "128Mi")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the limited containers restarted or the push failed");
    expect(out).toMatch(/restarts during the push: anka-build-cloud-7d9c8b6f5-ax0 \(1\), anka-build-cloud-7d9c8b6f5-bx1 \(1\)/);
    expect(out).toContain("anka-build-cloud-7d9c8b6f5-ax0 probe: OOMKilled (exit 137)");
    expect(out).toContain("fixed: memory stayed well under any limit and nothing restarted");
    const patches = cluster.runner.callsOf("kubectl", "--context", "anka-lab", "patch").map((c) => JSON.parse(c.argv.at(-1)!).spec.template.spec.containers);
    expect(patches).toEqual([
      [{ name: "registry", resources: { limits: { memory: "128Mi" } } }, { name: "probe", resources: { limits: { memory: "128Mi" } } }],
      [{ name: "registry", resources: { limits: { memory: null } } }, { name: "probe", resources: { limits: { memory: null } } }],
    ]);
    expect(cluster.probeLimit()).toBeUndefined();
    expect(cluster.runner.callsOf("kubectl", "--context", "anka-lab", "apply").length).toBe(2);
  });
});

describe("lab:repro etcd-quorum", () => {
  it("keeps working with one member down, reports two down, and finds the key after restore", async () => {
    const etcd = () => [...cluster.objects.values()].find((o) => o.kind === "StatefulSet") as any;
    stubs.controllerOk = () => etcd().spec.replicas >= 2;
    expect(await repro({ ...always }, "etcd-quorum")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the controller kept working with one member down and reported the failure with two down");
    expect(out).toMatch(/two members down: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/status: 500 FAIL/);
    expect(out).toContain('fixed: quorum is back; the key written before reads "written-before-the-outage" through the restarted member, controller OK');
    expect(cluster.runner.calls.filter((c) => c.argv[3] === "scale").map((c) => c.argv.at(-1))).toEqual(["--replicas=2", "--replicas=1", "--replicas=3"]);
    expect(etcd().spec.replicas).toBe(3);
    expect(cluster.etcdKeys.size).toBe(0);
  });
});

describe("lab:repro registry-rescheduled", () => {
  it("deletes the receiving pod mid-push; nothing is committed; the retry lands on the survivor", async () => {
    mkdirSync(join(volume, "anka-lab-probe", ".partial"), { recursive: true });
    let attempt = 0;
    const push: ReproDeps["push"] = async (options) => {
      if (attempt++ === 0) {
        writeFileSync(join(volume, "anka-lab-probe", ".partial", "anka-build-cloud-7d9c8b6f5-bx1-0123.part"), "half");
        await new Promise<void>((resolve) => (cluster.onPodDeleted = () => resolve()));
        throw new PushError("connection reset mid-transfer: something between you and the registry cut it (an idle timeout such as an AWS NLB's 350 s, or the registry pod went away); nothing partial was committed", true);
      }
      return scriptedPush(() => ({}))!(options);
    };
    expect(await repro({ ...always, push }, "registry-rescheduled")).toBe(0);
    expect(cluster.deletedPods).toEqual(["anka-build-cloud-7d9c8b6f5-bx1"]);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the push failed when anka-build-cloud-7d9c8b6f5-bx1 went away");
    expect(out).toContain("files committed before the failure: 0 of 4");
    expect(out).toContain("fixed: the retry through the LoadBalancer completed on anka-build-cloud-7d9c8b6f5-ax0");
  });
});

describe("lab:repro idle-timeout, through the real proxy to a real probe", () => {
  it("is cut with a short idle timeout and passes with a longer one", async () => {
    expect(await repro({}, "idle-timeout", "--idle-seconds", "1")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the idle timeout cut the push during its silent phase");
    expect(out).toContain("  idle timeout 1 s, silent phase 1.5 s after each file's body");
    expect(out).toContain("  connections cut: 1");
    expect(out).toContain("fixed: the push completed through an idle timeout of 3 s");
  }, 60_000);
});

describe("lab:repro input", () => {
  it("lists scenarios and refuses unknown names and bad flags without touching the cluster", async () => {
    const before = cluster.runner.calls.length;
    expect(await lab.run(reproSpec, reproCommand, "--list")).toBe(0);
    expect(lab.io.stdout.join("\n").split("\n")).toHaveLength(6);
    expect(await lab.run(reproSpec, reproCommand, "ingress-body-sise")).toBe(2);
    expect(lab.io.stderr.at(-1)).toMatch(/^anka-lab: unknown scenario "ingress-body-sise"; known: etcd-quorum, idle-timeout, ingress-body-size/);
    expect(await lab.run(reproSpec, reproCommand, "idle-timeout", "--idle-seconds", "-3")).toBe(2);
    expect(cluster.runner.calls.length).toBe(before);
  });
});

describe("lab:repro stops and preconditions", () => {
  it("a real SIGINT during act runs the restore, prints where it stopped and exits 130", async () => {
    // No injected signal: the command listens for SIGINT itself, as the CLI does.
    lab.deps = { ...lab.deps, signal: undefined };
    const push: ReproDeps["push"] = async () => {
      process.kill(process.pid, "SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new PushError("interrupted", false);
    };
    expect(await repro({ ...always, push }, "ingress-body-size")).toBe(130);
    expect(lab.io.stderr.at(-1)).toBe("anka-lab: interrupted (Ctrl-C) in act; restore ran; next: npm run lab:repro -- ingress-body-size");
    expect(reproIngress()).toBeUndefined();
    expect(lab.io.stdout.join("\n")).toMatch(/lab restored$/);
  });

  it("says in one line that the lab is not up, and neither breaks nor restores anything", async () => {
    const empty = new FakeCluster();
    const bare = harness(empty, stubs);
    expect(await bare.run(reproSpec, (args, io, d) => reproCommand(args, io, d as ReproDeps), "etcd-quorum")).toBe(1);
    expect(bare.io.stderr).toEqual(["anka-lab: the lab is not up (minikube profile anka-lab: missing); start it with npm run lab:up"]);
    expect(bare.io.stdout).toEqual([]);
    expect(empty.runner.calls.filter(isMutating)).toEqual([]);
  });
});
