import { CONTROLLER_STATUS_PATH, REGISTRY_STATUS_PATH, ankaStatus, type ServiceHealth } from "../tools/ankaApi.js";
import type { LabContext } from "../context.js";
import { etcdClusterHealth } from "../tools/inPod.js";
import { getList, getOne, summarizePod, type PodSummary } from "../tools/kubectl.js";
import { NAMES, selectorString } from "../topology/names.js";
import { clusterState, type ClusterState } from "../tools/minikube.js";
import { tunnelStatus, type TunnelStatus } from "../tools/tunnel.js";
import { loadBalancerAddress, serviceUrls } from "../lifecycle/steps/waits.js";

export interface ComponentStatus {
  readonly name: string;
  readonly ready: number;
  readonly desired: number;
  readonly pods: PodSummary[];
}

export interface LabStatus {
  readonly context: string;
  readonly namespace: string;
  readonly cluster?: ClusterState;
  readonly tunnel?: TunnelStatus;
  readonly components: ComponentStatus[];
  readonly endpoints: { controller?: string; registry?: string; ingress?: string };
  readonly health: { controller?: ServiceHealth; registry?: ServiceHealth; etcd?: ServiceHealth };
  readonly healthy: boolean;
}


async function component(ctx: LabContext, kind: string, name: string, desired: number): Promise<ComponentStatus> {
  const object = await getOne(ctx, [kind, name, "-n", ctx.config.namespace]);
  const pods = (await getList(ctx, ["pods", "-n", ctx.config.namespace, "-l", selectorString(name)])).map(summarizePod);
  return { name, ready: object?.status?.readyReplicas ?? 0, desired, pods };
}

async function etcdHealth(ctx: LabContext): Promise<ServiceHealth> {
  const { healthy, exitCode } = await etcdClusterHealth(ctx);
  return { ok: exitCode === 0 && healthy === ctx.config.etcd.replicas, detail: `${healthy}/${ctx.config.etcd.replicas} members healthy` };
}

/** Everything lab:status shows, gathered read-only. */
export async function gatherStatus(ctx: LabContext): Promise<LabStatus> {
  const base = { context: ctx.kubeContext, namespace: ctx.config.namespace };
  const cluster = ctx.usesMinikube ? await clusterState(ctx.runner, ctx.config.profile) : undefined;
  const tunnel = ctx.usesMinikube && cluster?.kind === "running" ? await tunnelStatus(ctx) : ctx.usesMinikube ? await tunnelStatus(ctx, { forwards: false }) : undefined;
  if (cluster && cluster.kind !== "running")
    return { ...base, cluster, tunnel, components: [], endpoints: {}, health: {}, healthy: false };
  const components = [
    await component(ctx, "statefulset", NAMES.etcd, ctx.config.etcd.replicas),
    await component(ctx, "deployment", NAMES.buildCloud, ctx.config.buildCloud.replicas),
  ];
  const controllerIp = await loadBalancerAddress(ctx, NAMES.controllerService);
  const registryIp = await loadBalancerAddress(ctx, NAMES.registryService);
  const endpoints: LabStatus["endpoints"] = {};
  const health: { controller?: ServiceHealth; registry?: ServiceHealth; etcd?: ServiceHealth } = {};
  if (controllerIp && registryIp) {
    const urls = serviceUrls(ctx, { controller: controllerIp, registry: registryIp });
    endpoints.controller = urls.controller;
    endpoints.registry = urls.registry;
    [health.controller, health.registry] = await Promise.all([
      ankaStatus(urls.controller + CONTROLLER_STATUS_PATH),
      ankaStatus(urls.registry + REGISTRY_STATUS_PATH),
    ]);
  }
  if (ctx.usesMinikube) endpoints.ingress = `http://${ctx.config.registry.hostname}:${ctx.config.ingress.port}`;
  if (components[0]!.ready > 0) health.etcd = await etcdHealth(ctx);
  const healthy =
    (tunnel?.running ?? true) &&
    components.every((c) => c.ready >= c.desired) &&
    [health.controller, health.registry, health.etcd].every((h) => h?.ok === true);
  return { ...base, cluster, tunnel, components, endpoints, health, healthy };
}

export function formatStatus(status: LabStatus): string {
  const mark = (ok: boolean | undefined) => (ok ? "✓" : "✗");
  const lines = [`context ${status.context}, namespace ${status.namespace}`];
  if (status.cluster) lines.push(`${mark(status.cluster.kind === "running")} minikube profile: ${status.cluster.kind}${"detail" in status.cluster ? ` (${status.cluster.detail})` : ""}`);
  if (status.tunnel) lines.push(`${mark(status.tunnel.running)} tunnel: ${status.tunnel.running ? `running, ${status.tunnel.detail}` : status.tunnel.reason}`);
  for (const c of status.components) {
    lines.push(`${mark(c.ready >= c.desired)} ${c.name}: ${c.ready}/${c.desired} ready`);
    for (const p of c.pods) lines.push(`    ${p.name}  ${p.phase}${p.ready ? ", ready" : ", not ready"}, ${p.restarts} restart(s)${p.waiting.length ? `  ${p.waiting.join("; ")}` : ""}`);
  }
  for (const [name, url] of Object.entries(status.endpoints)) lines.push(`  ${name.padEnd(10)} ${url}`);
  for (const [name, h] of Object.entries(status.health)) if (h) lines.push(`${mark(h.ok)} ${name} health: ${h.detail}`);
  lines.push(status.healthy ? "The lab is healthy." : "The lab is not healthy: npm run lab:up repairs what it can, npm run lab:doctor checks the Mac.");
  return lines.join("\n");
}
