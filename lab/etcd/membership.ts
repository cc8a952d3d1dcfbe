/**
 * Runs the membership plan (lab/etcd/plan.ts) against the lab's etcd: etcdctl inside a healthy
 * member's pod through `kubectl exec` (lab/tools/inPod.ts), the StatefulSet and the bootstrap
 * ConfigMap through kubectl. Every step ends by waiting until every member is started and healthy.
 */
import type { LabContext } from "../context.js";
import { CommandError } from "../exec/types.js";
import { etcdctl } from "../tools/inPod.js";
import { getOne } from "../tools/kubectl.js";
import { ETCD_BOOTSTRAP_KEYS, etcdPeerUrl, initialCluster } from "../topology/names.js";
import { NAMES } from "../topology/names.js";
import { notYet, ready, waitFor } from "../wait.js";
import { describeStep, planMembership, type MemberState, type MembershipStep } from "./plan.js";
import { LabError } from "../errors.js";

/** One line of `etcdctl member list -w simple`. */
export interface ListedMember {
  readonly id: string;
  readonly started: boolean;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

/**
 * Parses `etcdctl member list -w simple`: "ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER",
 * fields joined by ", " and URLs within a field by "," (etcd-io/etcd etcdctl/ctlv3/command/printer_simple.go;
 * 3.4 prints the same columns). An added, unstarted member has an empty name and no client URLs.
 */
export function parseMemberList(stdout: string): ListedMember[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const [id, status, name, peers, clients] = line.split(", ");
      return {
        id: id!.trim(),
        started: status === "started",
        name: name ?? "",
        peerUrls: (peers ?? "").split(",").filter(Boolean),
        clientUrls: (clients ?? "").split(",").filter(Boolean),
      };
    });
}

/**
 * `endpoint health --cluster -w json`: [{"endpoint","health","took","error"}] per member with a
 * client URL (etcd-io/etcd etcdctl/ctlv3/command/ep_command.go epHealth, same in 3.4 and 3.5). JSON,
 * because the plain form goes to stdout in 3.5 but to stderr in 3.4 (printer_simple.go).
 */
export function healthyUrls(stdout: string): Set<string> {
  try {
    const entries = JSON.parse(stdout) as { endpoint: string; health: boolean }[];
    return new Set(entries.filter((e) => e.health).map((e) => e.endpoint));
  } catch {
    return new Set();
  }
}

/** The StatefulSet ordinal in a member's peer URL, http://etcd-<n>.etcd-headless.<ns>...:2380. */
export function ordinalOf(member: ListedMember): number | undefined {
  const match = new RegExp(`^https?://${NAMES.etcd}-(\\d+)\\.`).exec(member.peerUrls[0] ?? "");
  return match ? Number(match[1]) : undefined;
}

/**
 * What etcd logs when a member starts with an empty data dir although the cluster still lists it
 * (etcd-io/etcd server/etcdserver/server.go at v3.5.33: "member %s has already been bootstrapped").
 * Only this, never "member is down", triggers a repair: a member that is merely slow or restarting
 * keeps its data.
 */
export const LOST_DATA_LOG = /has already been bootstrapped/;

/** The cluster as etcd sees it, asked through `via`. */
export interface ClusterView {
  readonly via: number;
  readonly members: MemberState[];
}

const podName = (ordinal: number) => `${NAMES.etcd}-${ordinal}`;

async function lostData(ctx: LabContext, ordinal: number): Promise<boolean> {
  for (const previous of [true, false]) {
    const logs = await ctx.run(ctx.kubectl("logs", "-n", ctx.config.namespace, podName(ordinal), "-c", "etcd", "--tail=50", ...(previous ? ["--previous"] : [])), {
      allowFailure: true,
      timeoutMs: 30_000,
    });
    if (logs.exitCode === 0 && LOST_DATA_LOG.test(logs.stdout)) return true;
  }
  return false;
}

/**
 * Reads the membership through the first pod among `candidates` whose etcdctl answers; undefined
 * when none does (no pod running, or no quorum to answer `member list`).
 */
export async function readCluster(ctx: LabContext, candidates: readonly number[]): Promise<ClusterView | undefined> {
  for (const via of candidates) {
    const list = await etcdctl(ctx, via, ["member", "list", "-w", "simple"], { allowFailure: true });
    if (list.exitCode !== 0) continue;
    const listed = parseMemberList(list.stdout);
    const health = await etcdctl(ctx, via, ["endpoint", "health", "--cluster", "-w", "json"], { allowFailure: true });
    const healthy = healthyUrls(health.stdout);
    const members: MemberState[] = [];
    for (const m of listed) {
      const ordinal = ordinalOf(m);
      if (ordinal === undefined) throw new Error(`etcd member ${m.id} has peer URL ${m.peerUrls[0] ?? "(none)"}, not one of the StatefulSet's pods; remove it with etcdctl member remove ${m.id}`);
      const isHealthy = m.started && m.clientUrls.some((u) => healthy.has(u));
      members.push({ id: m.id, ordinal, started: m.started, healthy: isHealthy, lostData: m.started && !isHealthy && (await lostData(ctx, ordinal)) });
    }
    return { via, members };
  }
  return undefined;
}

/** A member to run etcdctl in: healthy, and not the one a step takes out. */
function pickVia(view: ClusterView, not: number): number {
  const m = view.members.find((m) => m.healthy && m.ordinal !== not);
  if (!m) throw new Error(`no healthy etcd member besides ${podName(not)} to run etcdctl in`);
  return m.ordinal;
}

async function setBootstrap(ctx: LabContext, size: number): Promise<void> {
  const data = { [ETCD_BOOTSTRAP_KEYS.cluster]: initialCluster(ctx.config, size), [ETCD_BOOTSTRAP_KEYS.state]: "existing" };
  await ctx.change(ctx.kubectl("patch", "configmap", NAMES.etcdBootstrap, "-n", ctx.config.namespace, "--type", "merge", "-p", JSON.stringify({ data })), { timeoutMs: 30_000 });
}

async function scale(ctx: LabContext, replicas: number): Promise<void> {
  await ctx.change(ctx.kubectl("scale", "statefulset", NAMES.etcd, "-n", ctx.config.namespace, `--replicas=${replicas}`), { timeoutMs: 30_000 });
}

/**
 * A removed member's volume would make a later pod of that ordinal start as the removed member.
 * Waits until the claim is gone (kubectl's default), so a pod created next gets a new, empty one.
 */
async function deleteVolume(ctx: LabContext, ordinal: number): Promise<void> {
  await ctx.change(ctx.kubectl("delete", "pvc", `data-${podName(ordinal)}`, "-n", ctx.config.namespace, "--ignore-not-found"), { timeoutMs: 120_000 });
}

/**
 * etcd refuses a reconfiguration until every member has been connected for 5 s (HealthInterval) and
 * enough are started (etcd-io/etcd server/etcdserver/server.go mayAddMember/mayRemoveMember at
 * v3.5.33; errors.go ErrUnhealthy, ErrNotEnoughStartedMembers), so right after a member joined the
 * next add is refused for a few seconds. Those two answers, and only those, are retried; Bitnami's
 * start script retries its member add the same way (bitnami/containers bitnami/etcd/3.5/debian-12/
 * rootfs/opt/bitnami/scripts/libetcd.sh add_self_to_cluster).
 */
const RECONFIGURE_NOT_YET = /etcdserver: unhealthy cluster|re-configuration failed due to not enough started members/;

async function reconfigure(ctx: LabContext, via: number, args: string[]): Promise<void> {
  if (ctx.dryRun) {
    await etcdctl(ctx, via, args, { change: true });
    return;
  }
  const refused = await waitFor(
    `etcd to accept etcdctl ${args.join(" ")}`,
    async () => {
      const result = await etcdctl(ctx, via, args, { change: true, allowFailure: true });
      if (result.exitCode === 0) return ready(undefined);
      if (RECONFIGURE_NOT_YET.test(result.stderr)) return notYet(result.stderr.trim());
      return ready(result);
    },
    { ...ctx.options.waits, signal: ctx.options.signal },
  );
  if (refused) throw new CommandError(refused);
}

async function memberAdd(ctx: LabContext, via: number, ordinal: number): Promise<void> {
  await reconfigure(ctx, via, ["member", "add", podName(ordinal), `--peer-urls=${etcdPeerUrl(ctx.config, ordinal)}`]);
}

async function memberRemove(ctx: LabContext, via: number, id: string): Promise<void> {
  await reconfigure(ctx, via, ["member", "remove", id]);
}

/** Waits until exactly `size` members are listed, all started and healthy. */
async function waitWhole(ctx: LabContext, size: number, onRetry: (reason: string) => void): Promise<ClusterView> {
  return waitFor(
    `all ${size} etcd members started and healthy`,
    async () => {
      const view = await readCluster(ctx, Array.from({ length: size }, (_, i) => i));
      if (!view) return notYet("no member answers etcdctl");
      const sick = view.members.filter((m) => !m.healthy).map((m) => podName(m.ordinal));
      if (view.members.length !== size) return notYet(`${view.members.length} members listed`);
      return sick.length === 0 ? ready(view) : notYet(`not healthy yet: ${sick.join(", ")}`);
    },
    { ...ctx.options.waits, signal: ctx.options.signal, onRetry },
  );
}

async function waitPodGone(ctx: LabContext, ordinal: number, onRetry: (reason: string) => void): Promise<void> {
  await waitFor(
    `pod ${podName(ordinal)} to stop`,
    async () => ((await getOne(ctx, ["pod", podName(ordinal), "-n", ctx.config.namespace])) ? notYet(`${podName(ordinal)} still exists`) : ready(true)),
    { ...ctx.options.waits, signal: ctx.options.signal, onRetry },
  );
}

/** One step; returns the cluster as it is afterwards. */
async function runStep(ctx: LabContext, view: ClusterView, step: MembershipStep, onRetry: (reason: string) => void): Promise<ClusterView> {
  const via = pickVia(view, step.ordinal);
  switch (step.kind) {
    case "add":
      await deleteVolume(ctx, step.ordinal);
      await memberAdd(ctx, via, step.ordinal);
      await setBootstrap(ctx, step.size);
      await scale(ctx, step.size);
      break;
    case "start":
      await setBootstrap(ctx, step.size);
      await scale(ctx, step.size);
      break;
    case "remove":
      await memberRemove(ctx, via, step.id);
      await scale(ctx, step.size);
      if (!ctx.dryRun) await waitPodGone(ctx, step.ordinal, onRetry);
      await deleteVolume(ctx, step.ordinal);
      break;
    case "repair":
      await memberRemove(ctx, via, step.id);
      await memberAdd(ctx, via, step.ordinal);
      await setBootstrap(ctx, step.size);
      // Start now rather than after the crash-loop back-off (up to 5 minutes).
      await ctx.change(ctx.kubectl("delete", "pod", podName(step.ordinal), "-n", ctx.config.namespace, "--wait=false"), { timeoutMs: 60_000 });
      break;
  }
  if (ctx.dryRun) {
    ctx.plan.push(`wait for all ${step.size} etcd members started and healthy`);
    return view;
  }
  return waitWhole(ctx, step.size, onRetry);
}

/** Why membership cannot change: the plan's refusal, with the fix. */
export class MembershipRefused extends LabError {
  override name = "MembershipRefused";
}

/**
 * Brings the members to `desired`, one step at a time. Returns the steps done (empty when the
 * members already match), or undefined when no pod among `candidates` answers etcdctl.
 * `cannotChange` refuses any step with that reason (the running pods cannot take one yet).
 */
export async function reconcileMembership(
  ctx: LabContext,
  desired: number,
  candidates: readonly number[],
  progress: (line: string) => void,
  options: { readonly cannotChange?: string } = {},
): Promise<MembershipStep[] | undefined> {
  let view = await readCluster(ctx, candidates);
  if (!view) return undefined;
  const plan = planMembership(view.members, desired);
  const refuse = (why: string) => new MembershipRefused(`refusing to change etcd from ${view!.members.length} to ${desired} members: ${why}`);
  if ("refused" in plan) throw refuse(plan.refused);
  if (plan.steps.length > 0 && options.cannotChange) throw refuse(options.cannotChange);
  for (const step of plan.steps) {
    progress(describeStep(step));
    view = await runStep(ctx, view, step, (reason) => progress(`${describeStep(step)}: ${reason}`));
  }
  return [...plan.steps];
}
