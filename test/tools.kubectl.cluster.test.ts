import { execFileSync } from "node:child_process";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../lab/config/load.js";
import type { LabContext } from "../lab/context.js";
import {
  containerLogs,
  deleteClaim,
  deleteIngress,
  deletePodNoWait,
  execArgv,
  getPod,
  getSecretArgv,
  getStatefulSet,
  listPodsIn,
  mergePatchConfigMapData,
  scaleStatefulSet,
  applyServerSideAs,
} from "../lab/tools/kubectl.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { CONTEXT } from "./cluster/controlPlane.js";
import { contextRunner, controlPlaneAvailable, inPodCommands, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { testContext } from "./support/context.js";
import type { FakeRunner } from "./support/fakeRunner.js";
import type { InPodCommands } from "./support/inPod.js";

/**
 * The exact argv of each kubectl adapter lab/repro and lab/etcd use (lab/tools/kubectl.ts), run by
 * the real kubectl against the control-plane tier, so each argv is also one kubectl takes and does
 * what its name says. `kubectl logs` reaches a kubelet, which this tier has not: the one model of
 * in-pod commands answers it (test/support/inPod.ts).
 */
const available = controlPlaneAvailable("test/tools.kubectl.cluster.test.ts");

describe.skipIf(!available)("kubectl adapters (control-plane tier)", { timeout: 60_000 }, () => {
  const controlPlane = useControlPlane();
  let namespace: string;
  let inPod: InPodCommands;
  let runner: FakeRunner;
  let ctx: LabContext;
  const K = () => ["kubectl", "--context", CONTEXT];
  const kubectl = (args: string[], input?: string) => execFileSync("kubectl", ["--context", CONTEXT, ...args], { encoding: "utf8", input });
  const live = (kind: string, name: string) => {
    try {
      return JSON.parse(kubectl(["get", kind, name, "-n", namespace, "-o", "json"]));
    } catch {
      return undefined;
    }
  };
  const lastArgv = () => runner.calls.at(-1)!.argv;
  function context(dryRun = false): LabContext {
    const { config } = loadConfig({ env: { ANKA_LAB_NAMESPACE: namespace }, flags: { context: CONTEXT } });
    return testContext(config, runner, { dryRun, waits: { timeoutMs: 30_000, intervalMs: 200 } });
  }

  beforeEach(() => {
    testKubeconfig(controlPlane());
    namespace = uniqueNamespace("tools");
    inPod = inPodCommands(controlPlane());
    runner = contextRunner(inPod);
    ctx = context();
    kubectl(["create", "namespace", namespace]);
    const objects = [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "boot", namespace }, data: { a: "1", b: "2" } },
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "web", namespace },
        spec: { replicas: 1, serviceName: "web", selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "registry.k8s.io/pause:3.10" }] } } },
      },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "token", namespace }, data: { token: Buffer.from("t0k").toString("base64") } },
      { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data-x", namespace }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } },
      { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "ing", namespace }, spec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } } },
    ];
    kubectl(["apply", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));
  });

  // getStatefulSet and listPodsIn are the lifecycle block's; lab/repro and lab/etcd read through them too.
  it("reads a StatefulSet, a pod and pods by label; nothing that is not there", async () => {
    expect((await getStatefulSet(ctx, "web"))?.spec.replicas).toBe(1);
    expect(lastArgv()).toEqual([...K(), "get", "statefulset", "web", "-n", namespace, "-o", "json"]);
    expect(await getStatefulSet(ctx, "nope")).toBeUndefined();

    const pod = await waitFor("web-0", async () => ((await getPod(ctx, "web-0")) ? ready(true) : notYet("no pod yet")), { timeoutMs: 30_000, intervalMs: 200 });
    expect(pod).toBe(true);
    expect(lastArgv()).toEqual([...K(), "get", "pod", "web-0", "-n", namespace, "-o", "json"]);
    expect(await getPod(ctx, "web-9")).toBeUndefined();

    expect((await listPodsIn(ctx, namespace, "app=web")).map((p) => p.metadata.name)).toEqual(["web-0"]);
    expect(lastArgv()).toEqual([...K(), "get", "pods", "-n", namespace, "-l", "app=web", "-o", "json"]);
    expect(await listPodsIn(ctx, namespace, "app=none")).toEqual([]);
  });

  it("builds the argv of a Secret's read, which kubectl answers with the Secret", async () => {
    expect(getSecretArgv(ctx, "token")).toEqual([...K(), "get", "secret", "token", "-n", namespace, "-o", "json"]);
    const secret = JSON.parse((await ctx.run(getSecretArgv(ctx, "token"))).stdout);
    expect(Buffer.from(secret.data.token, "base64").toString()).toBe("t0k");
  });

  it("applies server-side under the given field manager, the documents on stdin", async () => {
    const input = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace }, data: { k: "v" } });
    await applyServerSideAs(ctx, "alab-tools-test", input);
    expect(runner.calls.at(-1)).toMatchObject({ argv: [...K(), "apply", "--server-side", "--field-manager=alab-tools-test", "--force-conflicts", "-f", "-"], options: { input } });
    // kubectl get leaves managedFields out unless asked (--show-managed-fields).
    const applied = JSON.parse(kubectl(["get", "configmap", "applied", "-n", namespace, "-o", "json", "--show-managed-fields"]));
    const managers = applied.metadata.managedFields.map((f: any) => `${f.manager} ${f.operation}`);
    expect(managers).toEqual(["alab-tools-test Apply"]);
  });

  it("scales a StatefulSet", async () => {
    await scaleStatefulSet(ctx, "web", 3);
    expect(lastArgv()).toEqual([...K(), "scale", "statefulset", "web", "-n", namespace, "--replicas=3"]);
    expect(live("statefulset", "web").spec.replicas).toBe(3);
  });

  it("merge-patches a ConfigMap's data: the keys named change, the others stay", async () => {
    await mergePatchConfigMapData(ctx, "boot", { b: "two", c: "3" });
    expect(lastArgv()).toEqual([...K(), "patch", "configmap", "boot", "-n", namespace, "--type", "merge", "-p", '{"data":{"b":"two","c":"3"}}']);
    expect(live("configmap", "boot").data).toEqual({ a: "1", b: "two", c: "3" });
  });

  it("deletes a pod without waiting; its StatefulSet makes it again", async () => {
    const first = await waitFor("web-0", async () => {
      const pod = live("pod", "web-0");
      return pod ? ready(pod.metadata.uid as string) : notYet("no pod yet");
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await deletePodNoWait(ctx, "web-0");
    expect(lastArgv()).toEqual([...K(), "delete", "pod", "web-0", "-n", namespace, "--wait=false"]);
    await waitFor("a new web-0", async () => {
      const pod = live("pod", "web-0");
      return pod && pod.metadata.uid !== first ? ready(true) : notYet(pod ? "the old pod" : "no pod");
    }, { timeoutMs: 30_000, intervalMs: 200 });
  });

  it("deletes a claim and an Ingress, waiting for the claim; deleting them again is no error", async () => {
    await deleteClaim(ctx, "data-x");
    expect(lastArgv()).toEqual([...K(), "delete", "pvc", "data-x", "-n", namespace, "--ignore-not-found"]);
    expect(live("pvc", "data-x")).toBeUndefined();
    await deleteIngress(ctx, "ing");
    expect(lastArgv()).toEqual([...K(), "delete", "ingress", "ing", "-n", namespace, "--ignore-not-found"]);
    expect(live("ingress", "ing")).toBeUndefined();
    await deleteClaim(ctx, "data-x");
    await deleteIngress(ctx, "ing");
    expect(runner.calls.slice(-2).map((c) => c.argv.slice(3, 5))).toEqual([["delete", "pvc"], ["delete", "ingress"]]);
  });

  it("under --dry-run records every change and runs none", async () => {
    const planned = context(true);
    const before = runner.calls.length;
    await applyServerSideAs(planned, "alab-tools-test", "{}");
    await scaleStatefulSet(planned, "web", 0);
    await mergePatchConfigMapData(planned, "boot", { a: "x" });
    await deletePodNoWait(planned, "web-0");
    await deleteClaim(planned, "data-x");
    await deleteIngress(planned, "ing");
    expect(runner.calls.length).toBe(before);
    expect(planned.plan.map((p) => p.replace(`kubectl --context ${CONTEXT} `, "").replaceAll(namespace, "<ns>"))).toEqual([
      "apply --server-side --field-manager=alab-tools-test --force-conflicts -f - < (rendered manifests)",
      "scale statefulset web -n <ns> --replicas=0",
      // pasteable() quotes with $'…' (lab/exec/types.ts).
      `patch configmap boot -n <ns> --type merge -p $'{"data":{"a":"x"}}'`,
      "delete pod web-0 -n <ns> --wait=false",
      "delete pvc data-x -n <ns> --ignore-not-found",
      "delete ingress ing -n <ns> --ignore-not-found",
    ]);
    expect(live("statefulset", "web").spec.replicas).toBe(1);
  });

  it("reads a container's last log lines, of this run or the one before; none for a pod that is not there", async () => {
    await waitFor("web-0", async () => (live("pod", "web-0") ? ready(true) : notYet("no pod yet")), { timeoutMs: 30_000, intervalMs: 200 });
    inPod.log = "member has already been bootstrapped";
    expect(await containerLogs(ctx, "web-0", "c", { tail: 50 })).toBe("member has already been bootstrapped\n");
    expect(lastArgv()).toEqual([...K(), "logs", "-n", namespace, "web-0", "-c", "c", "--tail=50"]);
    await containerLogs(ctx, "web-0", "c", { tail: 10, previous: true });
    expect(lastArgv()).toEqual([...K(), "logs", "-n", namespace, "web-0", "-c", "c", "--tail=10", "--previous"]);
    expect(await containerLogs(ctx, "web-9", "c", { tail: 50 })).toBeUndefined();
  });

  it("builds kubectl exec's argv, with a container or the pod's default one", () => {
    expect(execArgv(ctx, "ingress-nginx", "ctl-0", undefined, ["du", "-sk", "/tmp"])).toEqual([...K(), "exec", "-n", "ingress-nginx", "ctl-0", "--", "du", "-sk", "/tmp"]);
    expect(execArgv(ctx, namespace, "web-0", "c", ["node", "-e", "1"])).toEqual([...K(), "exec", "-n", namespace, "web-0", "-c", "c", "--", "node", "-e", "1"]);
  });
});
