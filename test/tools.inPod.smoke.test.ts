import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_READ, NODE_WRITE, readInProbe, writeInProbe } from "../lab/tools/inPod.js";
import { defaultConfig } from "./support/config.js";
import { testContext } from "./support/context.js";
import { FakeRunner } from "./support/fakeRunner.js";
import { InPodCommands } from "./support/inPod.js";

/**
 * lab:smoke's in-pod programs, each with its exact argv, answered by the one model of in-pod
 * commands (test/support/inPod.ts): `node -e` runs the program for real on a folder standing for the
 * pods' /mnt/vol, etcdctl put/get/del answer as etcdctl prints. The pods exist; three etcd members run.
 */
function inPodLab() {
  const members = [0, 1, 2].map((i) => `http://etcd-${i}.etcd-headless.anka.svc.cluster.local:2379`);
  const inPod = new InPodCommands(async () => members, async () => true);
  inPod.podVolume = mkdtempSync(join(tmpdir(), "anka-lab-inpod-"));
  const runner = new FakeRunner();
  runner.handle((argv) => inPod.answer(argv));
  const ctx = testContext(defaultConfig(), runner, { waits: { timeoutMs: 100, intervalMs: 10 } });
  return { inPod, runner, ctx, volume: inPod.podVolume };
}

const probeExec = (pod: string, ...rest: string[]) => ["kubectl", "--context", "anka-lab", "exec", "-n", "anka", pod, "-c", "probe", "--", "node", "-e", ...rest];
const etcdExec = (member: number, ...rest: string[]) =>
  ["kubectl", "--context", "anka-lab", "exec", "-n", "anka", `etcd-${member}`, "-c", "etcd", "--", "etcdctl", "--endpoints=http://127.0.0.1:2379", ...rest];

describe("lab:smoke's programs in the probe containers", () => {
  it("writeInProbe makes the folders and writes; readInProbe reads it back in another pod", async () => {
    const { runner, ctx, volume } = inPodLab();
    await writeInProbe(ctx, "anka-build-cloud-a", "/mnt/vol/anka-lab-probe/smoke/x1.txt", "written by anka-build-cloud-a");
    expect(readFileSync(join(volume, "anka-lab-probe/smoke/x1.txt"), "utf8")).toBe("written by anka-build-cloud-a");
    expect(await readInProbe(ctx, "anka-build-cloud-b", "/mnt/vol/anka-lab-probe/smoke/x1.txt")).toBe("written by anka-build-cloud-a");
    expect(runner.calls.map((c) => c.argv)).toEqual([
      probeExec("anka-build-cloud-a", NODE_WRITE, "/mnt/vol/anka-lab-probe/smoke/x1.txt", "written by anka-build-cloud-a"),
      probeExec("anka-build-cloud-b", NODE_READ, "/mnt/vol/anka-lab-probe/smoke/x1.txt"),
    ]);
  });

});

