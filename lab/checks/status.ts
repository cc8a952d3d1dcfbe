import { CONTROLLER_STATUS_PATH, REGISTRY_STATUS_PATH, ankaStatus, type ServiceHealth } from "../tools/ankaApi.js";
import type { LabContext } from "../context.js";
import { etcdClusterHealth } from "../tools/inPod.js";
import { getDeployment, getStatefulSet, kubectlVersions, listPodsIn, summarizePod, type LiveObject, type PodSummary } from "../tools/kubectl.js";
import { NAMES, selectorString } from "../topology/names.js";
import { clusterState, type ClusterState } from "../tools/minikube.js";
import { tunnelStatus, type TunnelStatus } from "../tools/tunnel.js";
import { loadBalancerAddress, serviceUrls } from "../observe.js";
import { formatRows, runChecks, type Check, type Row, type RowKind } from "./rows.js";

export interface ComponentStatus {
  readonly name: string;
  readonly ready: number;
  readonly desired: number;
  readonly pods: PodSummary[];
}

/** A part of the status that could not be read (a check that threw, or a context that does not answer): its name, why, what to do. */
export interface StatusProblem {
  readonly name: string;
  readonly detail: string;
  readonly fix?: string;
}

export interface LabStatus {
  readonly context: string;
  readonly namespace: string;
  readonly cluster?: ClusterState;
  readonly tunnel?: TunnelStatus;
  readonly components: ComponentStatus[];
  readonly endpoints: { controller?: string; registry?: string; ingress?: string };
  readonly health: { controller?: ServiceHealth; registry?: ServiceHealth; etcd?: ServiceHealth };
  /** What could not be read; any makes the lab unhealthy. */
  readonly problems: StatusProblem[];
  readonly healthy: boolean;
}

type Workload = (ctx: LabContext, name: string) => Promise<LiveObject | undefined>;

async function component(ctx: LabContext, read: Workload, name: string, desired: number): Promise<ComponentStatus> {
  const object = await read(ctx, name);
  const pods = (await listPodsIn(ctx, ctx.config.namespace, selectorString(name))).map(summarizePod);
  return { name, ready: object?.status?.readyReplicas ?? 0, desired, pods };
}

async function etcdHealth(ctx: LabContext): Promise<ServiceHealth> {
  const { healthy, exitCode } = await etcdClusterHealth(ctx);
  return { ok: exitCode === 0 && healthy === ctx.config.etcd.replicas, detail: `${healthy}/${ctx.config.etcd.replicas} members healthy` };
}

/** A part that could not be read is a ✗ row of the one table (lab/checks/rows.ts). */
const STATUS_PROBLEMS: RowKind<StatusProblem> = {
  row: (p): Row => ({ mark: "fail", name: p.name, detail: p.detail, fix: p.fix }),
  thrown: (title, { detail, fix }) => ({ name: title, detail, ...(fix ? { fix } : {}) }),
};

/** Everything lab:status shows, gathered read-only; each part a check, so one that fails is named and the rest still read. */
export async function gatherStatus(ctx: LabContext): Promise<LabStatus> {
  let cluster: ClusterState | undefined;
  let tunnel: TunnelStatus | undefined;
  const components: ComponentStatus[] = [];
  const endpoints: LabStatus["endpoints"] = {};
  const health: LabStatus["health"] = {};
  // With --context: whether its API server answers at all; one row then says so, not one per read.
  let contextAnswers = false;
  // Without a running cluster (or when its state could not be read) nothing past the tunnel can answer.
  const clusterUp = () => (ctx.usesMinikube ? cluster?.kind === "running" : contextAnswers);
  const none: StatusProblem[] = [];
  const checks: Check<StatusProblem>[] = [];
  if (!ctx.usesMinikube)
    checks.push({
      title: "kube context",
      run: async () => {
        const versions = await kubectlVersions(ctx);
        contextAnswers = versions.server !== undefined;
        if (contextAnswers) return none;
        const why = versions.stderr.trim().split("\n")[0] || `kubectl exited ${versions.exitCode}`;
        return { name: "kube context", detail: `${ctx.kubeContext} does not answer: ${why}`, fix: `check the context: kubectl --context ${ctx.kubeContext} get namespaces` };
      },
    });
  if (ctx.usesMinikube)
    checks.push(
      {
        title: "minikube profile",
        run: async () => {
          cluster = await clusterState(ctx.runner, ctx.config.profile);
          return none;
        },
      },
      {
        title: "tunnel",
        run: async () => {
          tunnel = await tunnelStatus(ctx, clusterUp() ? {} : { forwards: false });
          return none;
        },
      },
    );
  const workloads: [read: Workload, name: string, desired: number][] = [
    [getStatefulSet, NAMES.etcd, ctx.config.etcd.replicas],
    [getDeployment, NAMES.buildCloud, ctx.config.buildCloud.replicas],
  ];
  for (const [read, name, desired] of workloads)
    checks.push({
      title: name,
      run: async () => {
        if (clusterUp()) components.push(await component(ctx, read, name, desired));
        return none;
      },
    });
  checks.push(
    {
      title: "controller and registry health",
      run: async () => {
        if (!clusterUp()) return none;
        const controllerIp = await loadBalancerAddress(ctx, NAMES.controllerService);
        const registryIp = await loadBalancerAddress(ctx, NAMES.registryService);
        if (!controllerIp || !registryIp) return none;
        const urls = serviceUrls(ctx, { controller: controllerIp, registry: registryIp });
        endpoints.controller = urls.controller;
        endpoints.registry = urls.registry;
        [health.controller, health.registry] = await Promise.all([ankaStatus(urls.controller + CONTROLLER_STATUS_PATH), ankaStatus(urls.registry + REGISTRY_STATUS_PATH)]);
        return none;
      },
    },
    {
      title: "etcd health",
      run: async () => {
        if ((components.find((c) => c.name === NAMES.etcd)?.ready ?? 0) > 0) health.etcd = await etcdHealth(ctx);
        return none;
      },
    },
  );
  const problems = await runChecks(checks, STATUS_PROBLEMS, { signal: ctx.options.signal });
  if (ctx.usesMinikube && clusterUp()) endpoints.ingress = `http://${ctx.config.registry.hostname}:${ctx.config.ingress.port}`;
  const healthy =
    problems.length === 0 &&
    (tunnel?.running ?? true) &&
    components.length === workloads.length &&
    components.every((c) => c.ready >= c.desired) &&
    [health.controller, health.registry, health.etcd].every((h) => h?.ok === true);
  return { context: ctx.kubeContext, namespace: ctx.config.namespace, cluster, tunnel, components, endpoints, health, problems, healthy };
}

/** The report's first line, known before anything is read. */
export function statusHeader(ctx: LabContext): string {
  return `context ${ctx.kubeContext}, namespace ${ctx.config.namespace}`;
}

/** The status as rows of the one table: profile, tunnel, components with their pods, endpoints, health, what could not be read. */
export function statusRows(status: LabStatus): Row[] {
  const rows: Row[] = [];
  const mark = (ok: boolean | undefined) => (ok ? "pass" : "fail");
  if (status.cluster)
    rows.push({ mark: mark(status.cluster.kind === "running"), name: "minikube profile", detail: `${status.cluster.kind}${"detail" in status.cluster ? ` (${status.cluster.detail})` : ""}` });
  if (status.tunnel) rows.push({ mark: mark(status.tunnel.running), name: "tunnel", detail: status.tunnel.running ? `running, ${status.tunnel.detail}` : status.tunnel.reason });
  for (const c of status.components)
    rows.push({
      mark: mark(c.ready >= c.desired),
      name: c.name,
      detail: `${c.ready}/${c.desired} ready`,
      lines: c.pods.map((p) => `${p.name}  ${p.phase}${p.ready ? ", ready" : ", not ready"}, ${p.restarts} restart(s)${p.waiting.length ? `  ${p.waiting.join("; ")}` : ""}`),
    });
  for (const [name, url] of Object.entries(status.endpoints)) rows.push({ mark: "none", name, detail: url });
  for (const [name, h] of Object.entries(status.health)) if (h) rows.push({ mark: mark(h.ok), name: `${name} health`, detail: h.detail });
  rows.push(...status.problems.map(STATUS_PROBLEMS.row));
  return rows;
}

/** Everything after the header: the rows, then the verdict with the next command. */
export function formatStatus(status: LabStatus): string {
  const verdict = status.healthy ? "The lab is healthy." : "The lab is not healthy: npm run lab:up repairs what it can, npm run lab:doctor checks the Mac.";
  const rows = statusRows(status);
  return rows.length ? `${formatRows(rows)}\n${verdict}` : verdict;
}
