import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../lab/config/load.js";
import { LabContext } from "../lab/context.js";
import { applyStep } from "../lab/lifecycle/steps/objects.js";
import { etcdMembersStep } from "../lab/lifecycle/steps/etcdMembers.js";
import { etcdQuorumStep } from "../lab/lifecycle/steps/waits.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { CONTEXT } from "./cluster/controlPlane.js";
import { contextRunner, controlPlaneAvailable, inPodCommands, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import type { FakeRunner } from "./support/fakeRunner.js";
import type { InPodCommands } from "./support/inPod.js";
import { recordingReport, testContext } from "./support/context.js";

/**
 * lab:up's etcd membership step against a real API server (the StatefulSet, ConfigMap and claims
 * it reads and changes) with etcdctl's answers from InPodCommands, the one model of etcd here.
 */
const available = controlPlaneAvailable("test/etcdMembersStep.cluster.test.ts");

describe.skipIf(!available)("etcd membership step of lab:up (control-plane tier)", { timeout: 120_000 }, () => {
  const controlPlane = useControlPlane();
  let namespace: string;
  let inPod: InPodCommands;
  let runner: FakeRunner;
  beforeEach(() => {
    testKubeconfig(controlPlane());
    namespace = uniqueNamespace();
    inPod = inPodCommands(controlPlane());
    runner = contextRunner(inPod);
  });

  function context(replicas: number, dryRun = false): LabContext {
    const { config } = loadConfig({ env: { ANKA_LAB_NAMESPACE: namespace }, flags: { context: CONTEXT, "etcd.replicas": String(replicas) } });
    return testContext(config, runner, { dryRun, waits: { timeoutMs: 30_000, intervalMs: 200 } });
  }
  function report() {
    return recordingReport();
  }
  /** A running lab of `replicas` etcd members, as apply and the quorum wait leave it. */
  async function running(replicas = 3): Promise<void> {
    const ctx = context(replicas);
    await applyStep.run(ctx, report());
    await etcdQuorumStep.run(ctx, report());
  }
  const kubectl = (...args: string[]) => execFileSync("kubectl", ["--context", CONTEXT, ...args], { encoding: "utf8" });

  it("leaves a fresh lab to apply", async () => {
    const r = report();
    await etcdMembersStep.run(context(3), r);
    expect(r.lines).toEqual(["skip: no etcd yet: apply starts 3 members"]);
  });

  it("does nothing when the members match", async () => {
    await running();
    const before = runner.calls.length;
    const r = report();
    await etcdMembersStep.run(context(3), r);
    expect(r.lines).toEqual(["skip: 3 members, as configured"]);
    expect(runner.calls.slice(before).filter((c) => /add|remove|scale|patch|delete/.test(c.argv.join(" ")))).toEqual([]);
  });

  it("plans 3 -> 5 under --dry-run as member add, bootstrap values, scale, wait, one member at a time", async () => {
    await running();
    const ctx = context(5, true);
    await etcdMembersStep.run(ctx, report());
    const plan = ctx.plan.map((p) => p.replace(`kubectl --context ${CONTEXT} `, "").replaceAll(namespace, "<ns>"));
    expect(plan).toEqual([
      "delete pvc data-etcd-3 -n <ns> --ignore-not-found",
      expect.stringMatching(/^exec -n <ns> etcd-\d -c etcd -- etcdctl --endpoints=http:\/\/127\.0\.0\.1:2379 member add etcd-3 --peer-urls=http:\/\/etcd-3\.etcd-headless\.<ns>\.svc\.cluster\.local:2380$/),
      expect.stringMatching(/^patch configmap etcd-bootstrap -n <ns> --type merge -p .*etcd-3=http.*"initial-cluster-state":"existing"/),
      "scale statefulset etcd -n <ns> --replicas=4",
      "wait for all 4 etcd members started and healthy",
      "delete pvc data-etcd-4 -n <ns> --ignore-not-found",
      expect.stringMatching(/member add etcd-4 /),
      expect.stringMatching(/^patch configmap etcd-bootstrap .*etcd-4=http/),
      "scale statefulset etcd -n <ns> --replicas=5",
      "wait for all 5 etcd members started and healthy",
    ]);
    // Nothing changed: the StatefulSet is still at 3.
    expect(JSON.parse(kubectl("get", "statefulset", "etcd", "-n", namespace, "-o", "json")).spec.replicas).toBe(3);
  });

  it("refuses a change that would lose quorum, in one line with the fix", async () => {
    await running();
    inPod.unhealthy.add("etcd-2");
    const before = runner.calls.length;
    const error = await etcdMembersStep.run(context(5), report()).catch((e: Error & { hint?: string }) => e);
    expect((error as Error).message).toBe(
      "refusing to change etcd from 3 to 5 members: adding etcd-3 would make 4 members needing 3 for quorum while only 2 are healthy; bring the others back first (kubectl get pods -l app.kubernetes.io/name=etcd)",
    );
    expect((error as { hint?: string }).hint).toMatch(new RegExp(`^keep etcd\\.replicas at 3 until the members are healthy: kubectl --context ${CONTEXT} -n ${namespace} get pods`));
    expect(runner.calls.slice(before).filter((c) => /member add|scale|patch/.test(c.argv.join(" ")))).toEqual([]);
  });

  it("refuses to change members through a StatefulSet an older lab applied, whose pods ignore the bootstrap ConfigMap", async () => {
    await running();
    // What the previous version applied: bootstrap args written into the template.
    const sts = JSON.parse(kubectl("get", "statefulset", "etcd", "-n", namespace, "-o", "json"));
    const args: string[] = sts.spec.template.spec.containers[0].args.map((a: string) =>
      a.startsWith("--initial-cluster=") ? `--initial-cluster=etcd-0=http://etcd-0.etcd-headless.${namespace}.svc.cluster.local:2380` : a.startsWith("--initial-cluster-state=") ? "--initial-cluster-state=new" : a,
    );
    kubectl("patch", "statefulset", "etcd", "-n", namespace, "--type=json", "-p", JSON.stringify([{ op: "replace", path: "/spec/template/spec/containers/0/args", value: args }]));
    // A new template rolls the pods one by one; the old lab's state is the one after the rollout.
    await waitFor(
      "the StatefulSet's rollout",
      async () => {
        const s = JSON.parse(kubectl("get", "statefulset", "etcd", "-n", namespace, "-o", "json")).status;
        return s.currentRevision === s.updateRevision && s.readyReplicas === 3 && s.updatedReplicas === 3 ? ready(true) : notYet(JSON.stringify(s));
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const error = (await etcdMembersStep.run(context(5), report()).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^refusing to change etcd from 3 to 5 members: the running StatefulSet predates the etcd-bootstrap ConfigMap.*--set etcd\.replicas=3 once/);
    // With nothing to change it is no obstacle.
    const r = report();
    await etcdMembersStep.run(context(3), r);
    expect(r.lines).toEqual(["skip: 3 members, as configured"]);
  });
});
