/**
 * etcd membership as a pure plan: the members etcd reports plus the replicas the config asks for
 * give an ordered list of steps, or a refusal that says why. No I/O here; lab/etcd/membership.ts
 * reads the cluster and runs the steps.
 *
 * The rules are etcd's runtime-reconfiguration guide
 * (https://etcd.io/docs/v3.5/op-guide/runtime-configuration/): change membership one member at a
 * time, add a member before starting it (the new process starts with
 * --initial-cluster-state=existing), remove a member before stopping it for good, and replace a
 * member that lost its data dir by remove + add + start empty. Before every step the plan checks
 * that the members which are healthy now would still be a majority of the membership during and
 * after that step; a member that was just added counts only once it runs.
 */
import { quorumOf } from "../topology/names.js";

/** One member as `etcdctl member list` and `endpoint health --cluster` report it. */
export interface MemberState {
  /** Hex member ID, as `member remove` takes it. */
  readonly id: string;
  /** StatefulSet ordinal, from the member's peer URL (etcd-<n>.<headless service>...). */
  readonly ordinal: number;
  /** False for a member that was added but has not started yet (member list: "unstarted"). */
  readonly started: boolean;
  readonly healthy: boolean;
  /** etcd itself said this member's data dir is empty while the cluster still lists it. */
  readonly lostData: boolean;
}

export type MembershipStep =
  /** member add etcd-<ordinal>, then start the pod with `existing` and wait until it is healthy. */
  | { readonly kind: "add"; readonly ordinal: number; readonly size: number }
  /** the member was added by an interrupted run: start the pod with `existing` and wait. */
  | { readonly kind: "start"; readonly ordinal: number; readonly size: number }
  /** member remove, then scale the StatefulSet below it and drop its volume. */
  | { readonly kind: "remove"; readonly ordinal: number; readonly id: string; readonly size: number }
  /** member remove + member add, then restart the pod on its empty volume with `existing`. */
  | { readonly kind: "repair"; readonly ordinal: number; readonly id: string; readonly size: number };

export type MembershipPlan = { readonly steps: readonly MembershipStep[] } | { readonly refused: string };

const name = (ordinal: number) => `etcd-${ordinal}`;

/** What a step means in one line, for the lab:up output and --dry-run. */
export function describeStep(step: MembershipStep): string {
  switch (step.kind) {
    case "add":
      return `add member ${name(step.ordinal)} and start it (${step.size} members)`;
    case "start":
      return `start member ${name(step.ordinal)}, added earlier but never started (${step.size} members)`;
    case "remove":
      return `remove member ${name(step.ordinal)} and its volume (${step.size} members)`;
    case "repair":
      return `replace member ${name(step.ordinal)}, whose data dir was lost, and let it copy the data from the others`;
  }
}

/**
 * The steps from `members` to `desired` members named etcd-0..etcd-<desired-1>: repairs and
 * pending starts first (so a resize starts from a whole cluster), then adds upward or removes
 * downward, as the StatefulSet creates and deletes pods by ordinal.
 */
export function planMembership(members: readonly MemberState[], desired: number): MembershipPlan {
  const ordinals = members.map((m) => m.ordinal).sort((a, b) => a - b);
  if (new Set(ordinals).size !== ordinals.length)
    return { refused: `etcd lists two members for one pod (${ordinals.map(name).join(", ")}); remove the stale one with etcdctl member remove` };
  if (ordinals.some((o, i) => o !== i))
    return { refused: `etcd's members are ${ordinals.map(name).join(", ")}, not etcd-0..etcd-${ordinals.length - 1}; the lab only manages a StatefulSet's contiguous members` };

  let size = members.length;
  let healthy = members.filter((m) => m.healthy).length;
  if (size === 0) return { steps: [] };
  // Nothing to change in etcd: the members are the ones wanted, each started with its data. Pods
  // that are merely gone (a StatefulSet scaled down by hand, `lab:repro etcd-quorum --keep`) come
  // back with their volumes when apply restores the replicas, and rejoin: no quorum needed for that.
  const wanted = members.length === desired && members.every((m) => m.started && !m.lostData);
  if (wanted) return { steps: [] };
  if (healthy < quorumOf(size))
    return {
      refused: `etcd has no quorum: ${healthy} of ${size} members healthy, ${quorumOf(size)} needed; membership cannot change until a majority runs again (see README "Recovering an etcd member")`,
    };

  const steps: MembershipStep[] = [];
  const byOrdinal = new Map(members.map((m) => [m.ordinal, m]));

  // A lost member above the new size is simply removed below; only those that stay are repaired.
  for (const m of members.filter((m) => m.lostData && m.ordinal < desired)) {
    // During a repair the member is out (remove) and then back but empty (add): the others must be
    // a majority of the full membership throughout.
    if (healthy < quorumOf(size))
      return { refused: `cannot replace ${name(m.ordinal)}: only ${healthy} of ${size} members are healthy, ${quorumOf(size)} needed while it rejoins` };
    steps.push({ kind: "repair", ordinal: m.ordinal, id: m.id, size });
    healthy += 1;
  }
  // Added by a run that was interrupted before the pod started: already in the membership (and
  // in the quorum count above), so starting it is all that is left.
  for (const m of members.filter((m) => !m.started && m.ordinal < desired)) {
    steps.push({ kind: "start", ordinal: m.ordinal, size });
    healthy += 1;
  }

  for (let ordinal = size; ordinal < desired; ordinal++) {
    const next = size + 1;
    // The new member counts toward quorum only once it runs, so the healthy ones must already be a
    // majority of the bigger membership (etcd refuses the add itself under --strict-reconfig-check).
    if (healthy < quorumOf(next))
      return {
        refused: `adding ${name(ordinal)} would make ${next} members needing ${quorumOf(next)} for quorum while only ${healthy} are healthy; bring the others back first (kubectl get pods -l app.kubernetes.io/name=etcd)`,
      };
    steps.push({ kind: "add", ordinal, size: next });
    size = next;
    healthy += 1;
  }

  // Members above the desired size that exist only as "unstarted" entries still need removing.
  for (let ordinal = size - 1; ordinal >= desired; ordinal--) {
    const member = byOrdinal.get(ordinal)!;
    const next = size - 1;
    const left = healthy - (member.healthy ? 1 : 0);
    if (left < quorumOf(next))
      return {
        refused: `removing ${name(ordinal)} would leave ${left} healthy of ${next} members, below the ${quorumOf(next)} quorum needs; bring the unhealthy members back first`,
      };
    steps.push({ kind: "remove", ordinal, id: member.id, size: next });
    size = next;
    healthy = left;
  }
  return { steps };
}
