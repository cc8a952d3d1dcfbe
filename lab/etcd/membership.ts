/**
 * Runs the membership plan (lab/etcd/plan.ts) against the lab's etcd: etcdctl inside a healthy
 * member's pod through `kubectl exec` (lab/tools/inPod.ts), the StatefulSet, the bootstrap
 * ConfigMap, claims, pods and logs through kubectl (lab/tools/kubectl.ts). Every step ends by
 * waiting until every member is started and healthy.
 */
import type { LabContext } from "../context.js";
import { CommandError, type RunResult } from "../exec/types.js";
import { etcdctlHealthyUrls, etcdctlMemberAdd, etcdctlMemberList, etcdctlMemberRemove, type ListedMember } from "../tools/inPod.js";
import { containerLogs, deleteClaim, deletePodNoWait, getPod, mergePatchConfigMapData, scaleStatefulSet } from "../tools/kubectl.js";
import { ETCD_BOOTSTRAP_KEYS, etcdPeerUrl, initialCluster } from "../topology/names.js";
import { NAMES } from "../topology/names.js";
import { notYet, ready, waitFor } from "../wait.js";
import { describeStep, planMembership, type MemberState, type MembershipStep } from "./plan.js";
import { LabError } from "../errors.js";

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
    const logs = await containerLogs(ctx, podName(ordinal), "etcd", { tail: 50, previous });
    if (logs !== undefined && LOST_DATA_LOG.test(logs)) return true;
  }
  return false;
}

/**
 * Reads the membership through the first pod among `candidates` whose etcdctl answers; undefined
 * when none does (no pod running, or no quorum to answer `member list`).
 */
export async function readCluster(ctx: LabContext, candidates: readonly number[]): Promise<ClusterView | undefined> {
  for (const via of candidates) {
    const listed = await etcdctlMemberList(ctx, via);
    if (!listed) continue;
    const healthy = await etcdctlHealthyUrls(ctx, via);
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
  await mergePatchConfigMapData(ctx, NAMES.etcdBootstrap, data);
}

async function scale(ctx: LabContext, replicas: number): Promise<void> {
  await scaleStatefulSet(ctx, NAMES.etcd, replicas);
}

/**
 * A removed member's volume would make a later pod of that ordinal start as the removed member.
 * Waits until the claim is gone (kubectl's default), so a pod created next gets a new, empty one.
 */
async function deleteVolume(ctx: LabContext, ordinal: number): Promise<void> {
  await deleteClaim(ctx, `data-${podName(ordinal)}`);
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

/** Runs a membership change (`attempt`, which tolerates failure when asked) until etcd takes it. */
async function reconfigure(ctx: LabContext, what: string, attempt: (allowFailure: boolean) => Promise<RunResult>): Promise<void> {
  if (ctx.dryRun) {
    await attempt(false);
    return;
  }
  const refused = await waitFor(
    `etcd to accept ${what}`,
    async () => {
      const result = await attempt(true);
      if (result.exitCode === 0) return ready(undefined);
      if (RECONFIGURE_NOT_YET.test(result.stderr)) return notYet(result.stderr.trim());
      return ready(result);
    },
    { ...ctx.options.waits, signal: ctx.options.signal },
  );
  if (refused) throw new CommandError(refused);
}

async function memberAdd(ctx: LabContext, via: number, ordinal: number): Promise<void> {
  await reconfigure(ctx, `member add ${podName(ordinal)}`, (allowFailure) => etcdctlMemberAdd(ctx, via, podName(ordinal), etcdPeerUrl(ctx.config, ordinal), { allowFailure }));
}

async function memberRemove(ctx: LabContext, via: number, id: string): Promise<void> {
  await reconfigure(ctx, `member remove ${id}`, (allowFailure) => etcdctlMemberRemove(ctx, via, id, { allowFailure }));
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
    async () => ((await getPod(ctx, podName(ordinal))) ? notYet(`${podName(ordinal)} still exists`) : ready(true)),
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
      await deletePodNoWait(ctx, podName(step.ordinal));
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
