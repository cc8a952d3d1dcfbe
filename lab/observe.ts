import type { LabContext } from "./context.js";
import { LabError } from "./errors.js";
import { getService, getStatefulSet, listPodsIn, summarizePod, type LiveObject } from "./tools/kubectl.js";
import { NAMES, selectorString } from "./topology/names.js";

/**
 * Reads of the lab as it stands, for whatever looks at a running lab: lab:up's waits, the checks and
 * lab:repro's scenarios.
 * Each reads through lab/tools, so no argv is built here.
 */

/** The build-cloud pods as the API server reports them, in whatever phase. */
export async function buildCloudPodObjects(ctx: LabContext): Promise<LiveObject[]> {
  return listPodsIn(ctx, ctx.config.namespace, selectorString(NAMES.buildCloud));
}

/** The names of the build-cloud pods that run and are not being deleted, sorted. */
export async function runningBuildCloudPods(ctx: LabContext): Promise<string[]> {
  return (await buildCloudPodObjects(ctx))
    .filter((p) => p.status?.phase === "Running" && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
}

/** How many of a StatefulSet's pods are Ready (status.readyReplicas; 0 when it has none or does not exist). */
export async function statefulSetReady(ctx: LabContext, name: string): Promise<number> {
  return (await getStatefulSet(ctx, name))?.status?.readyReplicas ?? 0;
}

export interface PodRestarts {
  readonly pod: string;
  readonly restarts: number;
  /** lastState.terminated.reason per container that has one, e.g. "registry: OOMKilled". */
  readonly lastTerminations: string[];
}

/** Restart counts and last termination reasons of pods (pod status containerStatuses). */
export function restartsOf(pods: readonly LiveObject[]): PodRestarts[] {
  return pods.map((pod) => ({
    pod: pod.metadata.name,
    restarts: summarizePod(pod).restarts,
    lastTerminations: ((pod.status?.containerStatuses ?? []) as any[]).flatMap((s) =>
      s.lastState?.terminated ? [`${s.name}: ${s.lastState.terminated.reason ?? "Terminated"} (exit ${s.lastState.terminated.exitCode})`] : [],
    ),
  }));
}

/** The registry LoadBalancer's probe URL (127.0.0.1:<probe.port> through the tunnel). */
export async function probeLoadBalancerUrl(ctx: LabContext): Promise<string> {
  const ip = await loadBalancerAddress(ctx, NAMES.registryService);
  if (!ip) throw new LabError("the registry LoadBalancer has no address", { hint: "npm run lab:status; npm run lab:up restarts the tunnel" });
  return `http://${ip}:${ctx.config.probe.port}`;
}

/** The address a LoadBalancer got: 127.0.0.1 through minikube tunnel on the docker driver. */
export async function loadBalancerAddress(ctx: LabContext, service: string): Promise<string | undefined> {
  const svc = await getService(ctx, service);
  const entry = svc?.status?.loadBalancer?.ingress?.[0];
  return entry?.ip ?? entry?.hostname;
}

export function serviceUrls(ctx: LabContext, addresses: { controller: string; registry: string }) {
  return {
    controller: `http://${addresses.controller}:${ctx.config.controller.port}`,
    registry: `http://${addresses.registry}:${ctx.config.registry.port}`,
  };
}
