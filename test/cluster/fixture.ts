import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { ExecaRunner } from "../../lab/exec/runner.js";
import { ETCD_BOOTSTRAP_KEYS, ETCD_PORTS, NAMES, selectorString } from "../../lab/topology/names.js";
import { FakeRunner, type Answer } from "../support/fakeRunner.js";
import { InPodCommands } from "../support/inPod.js";
import { skipReason } from "../support/binaries.js";
import { api } from "./api.js";
import { CONTEXT, controlPlaneBinaries, copyKubeconfig, startControlPlane, type ControlPlane } from "./controlPlane.js";
import { ensureStorageClass, startLoadBalancerPublisher, startVolumeProvisioner, type Loop } from "./controllers.js";
import { sudoNonInteractive } from "../support/sudo.js";
import { craftedConfig } from "../support/config.js";
import { testContext } from "../support/context.js";
import type { LabContext } from "../../lab/context.js";

/** Whether this file's control-plane tests can run; prints why not (a failure in CI). */
export function controlPlaneAvailable(file: string): boolean {
  const binaries = controlPlaneBinaries();
  if ("missing" in binaries) {
    skipReason(file, binaries.missing, "npm run cluster:build");
    return false;
  }
  return true;
}

/**
 * One control plane for a test file: started before its tests, stopped after. The real kubectl
 * (built beside the components) comes first on PATH, and every test gets a kubeconfig of its own.
 */
export function useControlPlane(options: { loadBalancers?: () => boolean; holdClaims?: (namespace: string) => boolean } = {}): () => ControlPlane {
  let controlPlane: ControlPlane | undefined;
  const loops: Loop[] = [];
  beforeAll(async () => {
    const binaries = controlPlaneBinaries();
    if ("missing" in binaries) throw new Error(binaries.missing);
    controlPlane = await startControlPlane(binaries.bin);
    process.env.PATH = `${binaries.bin}${delimiter}${process.env.PATH}`;
    await ensureStorageClass(controlPlane);
    loops.push(startVolumeProvisioner(controlPlane, options.holdClaims), startLoadBalancerPublisher(controlPlane, options.loadBalancers));
  }, 180_000);
  afterAll(async () => {
    for (const l of loops) await l.stop();
    await controlPlane?.stop();
  }, 60_000);
  return () => controlPlane!;
}

let counter = 0;

/** A namespace no other test of this run uses (DNS-1123 label). */
export function uniqueNamespace(prefix = "alab"): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** The URLs of the Ready etcd pods of a namespace, as the headless Service names them. */
export async function readyEtcdMembers(cp: ControlPlane, namespace: string): Promise<string[]> {
  const pods = (await api(cp, "GET", `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selectorString(NAMES.etcd))}`)).body?.items ?? [];
  return pods
    .filter((p: any) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))
    .map((p: any) => `http://${p.metadata.name}.${NAMES.etcdPeers}.${namespace}.svc.cluster.local:${ETCD_PORTS.client}`)
    .sort();
}

export function inPodCommands(cp: ControlPlane): InPodCommands {
  return new InPodCommands(
    (namespace) => readyEtcdMembers(cp, namespace),
    async (namespace, pod) => (await api(cp, "GET", `/api/v1/namespaces/${namespace}/pods/${pod}`)).status === 200,
    async (namespace) => (await api(cp, "GET", `/api/v1/namespaces/${namespace}/configmaps/${NAMES.etcdBootstrap}`)).body?.data?.[ETCD_BOOTSTRAP_KEYS.cluster],
  );
}

const real = new ExecaRunner();

/** Runs kubectl for real and hands back what it printed, for the FakeRunner to settle. */
export async function realKubectl(argv: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<Answer | undefined> {
  if (argv[0] !== "kubectl") return undefined;
  const result = await real.run(argv, { input: options?.input, timeoutMs: options?.timeoutMs, allowFailure: true });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The runner for --context runs: in-pod commands answered by `inPod`, every other kubectl call by
 * the real kubectl against the test API server; calls are recorded (FakeRunner) for assertions.
 */
export function contextRunner(inPod: InPodCommands): FakeRunner {
  const runner = new FakeRunner();
  runner.handle((argv, options) => realKubectl(argv, options));
  runner.handle((argv) => inPod.answer(argv));
  // The doctor asks `sudo -n true` on any machine; no credentials are cached here.
  runner.handle((argv) => sudoNonInteractive(argv, false));
  return runner;
}

/** A fresh kubeconfig for one test, set as KUBECONFIG for the real kubectl calls. */
export function testKubeconfig(cp: ControlPlane): string {
  const path = copyKubeconfig(cp, join(mkdtempSync(join(tmpdir(), "alab-kc-")), "config"));
  process.env.KUBECONFIG = path;
  return path;
}

/** One test's lab in a namespace of its own: the real kubectl and the in-pod model behind a recording runner. */
export interface NamespacedLab {
  readonly namespace: string;
  readonly runner: FakeRunner;
  readonly inPod: InPodCommands;
  readonly ctx: LabContext;
}

/** Creates a fresh namespace on the control plane and a lab context pointed at it, with short waits. */
export async function namespacedLab(cp: ControlPlane): Promise<NamespacedLab> {
  const namespace = uniqueNamespace();
  const inPod = inPodCommands(cp);
  const runner = contextRunner(inPod);
  const config = craftedConfig((c) => {
    (c as { context?: string }).context = CONTEXT;
    c.namespace = namespace;
  });
  const ctx = testContext(config, runner, { waits: { timeoutMs: 10_000, intervalMs: 100 } });
  const created = await api(cp, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  if (created.status !== 201) throw new Error(`POST namespace ${namespace}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  return { namespace, runner, inPod, ctx };
}

/** A lab context whose kube context does not exist (NO_CONTEXT), for reads that must say so. */
export const NO_CONTEXT = "alab-no-such-context";
export function missingContext(runner: FakeRunner): LabContext {
  return testContext(craftedConfig((c) => ((c as { context?: string }).context = NO_CONTEXT)), runner, { waits: { timeoutMs: 100, intervalMs: 10 } });
}
