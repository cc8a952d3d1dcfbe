import { CONTROLLER_STATUS_PATH, ankaStatus } from "../../tools/ankaApi.js";
import { NAMES } from "../../topology/names.js";
import { loadBalancerAddress } from "../../observe.js";
import { notYet, ready, waitFor } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { etcdctlDel, etcdctlGet, etcdctlMemberList, etcdctlPut } from "../../tools/inPod.js";
import { quorumOf } from "../../topology/names.js";
import { getStatefulSet, scaleStatefulSet } from "../../tools/kubectl.js";
import { statefulSetReady } from "../../observe.js";
import { reapplyLab, waitEtcdQuorum } from "../kit.js";

const KEY = "/anka-lab/repro/etcd-quorum";

/**
 * The thresholds for the members etcd really has: a StatefulSet scale-down stops pods but leaves
 * them members, so quorum stays floor(n/2)+1 of all n. "One down" keeps it; stopping
 * n - quorum + 1 loses it (3 members: 2 down; 5: 3 down; 7: 4 down).
 */
export function quorumThresholds(members: number): { members: number; quorum: number; oneDown: number; belowQuorum: number } {
  const quorum = quorumOf(members);
  return { members, quorum, oneDown: members - 1, belowQuorum: quorum - 1 };
}

/** The member count from `etcdctl member list`; the StatefulSet's replicas when no member answers. */
async function memberCount(t: ReproTools): Promise<{ count: number; from: string }> {
  const members = (await etcdctlMemberList(t.ctx, 0))?.length ?? 0;
  if (members > 0) return { count: members, from: "etcdctl member list" };
  const sts = await getStatefulSet(t.ctx, NAMES.etcd);
  return { count: Number(sts?.spec?.replicas ?? t.ctx.config.etcd.replicas), from: "the StatefulSet's replicas (etcdctl member list did not answer)" };
}

/** Scaling the StatefulSet down keeps the highest members away (a deleted pod would be back in seconds). */
async function scaleEtcd(t: ReproTools, replicas: number): Promise<void> {
  await scaleStatefulSet(t.ctx, NAMES.etcd, replicas);
  await waitFor(
    `etcd down to ${replicas} running member(s)`,
    async () => {
      const readyCount = await statefulSetReady(t.ctx, NAMES.etcd);
      return readyCount <= replicas ? ready(true) : notYet(`${readyCount} ready`);
    },
    { ...t.ctx.options.waits, signal: t.ctx.options.signal },
  );
}

async function controllerUrl(t: ReproTools): Promise<string> {
  const ip = await loadBalancerAddress(t.ctx, NAMES.controllerService);
  return `http://${ip ?? "127.0.0.1"}:${t.ctx.config.controller.port}${CONTROLLER_STATUS_PATH}`;
}

export const scenario: Scenario = {
  name: "etcd-quorum",
  summary: "one etcd member down: the controller keeps working; below quorum: it reports the failure; restored: quorum and data return",
  facts: [
    "a majority is floor(n/2)+1 of all members: 3 survive 1 failure, 5 survive 2 (https://etcd.io/docs/v3.5/faq/); the thresholds come from the live member count",
    "the controller keeps all its state in etcd (Veertu HA docs); a member restarting with its volume rejoins and catches up",
  ],
  async setup(t) {
    await etcdctlPut(t.ctx, 0, KEY, "written-before-the-outage");
  },
  async act(t): Promise<Observation> {
    const url = await controllerUrl(t);
    const { count, from } = await memberCount(t);
    const limits = quorumThresholds(count);
    const lost = count - limits.belowQuorum;
    await scaleEtcd(t, limits.oneDown);
    const oneDown = await ankaStatus(url);
    await scaleEtcd(t, limits.belowQuorum);
    // The controller notices within its etcd request timeout (ANKA_ETCD_REQUEST_TIMEOUT, 20 s).
    const twoDown = await waitFor(
      "the controller to report the lost quorum",
      async () => {
        const status = await ankaStatus(url);
        return status.ok ? notYet(status.detail) : ready(status);
      },
      { timeoutMs: Math.max(60_000, t.ctx.options.waits.timeoutMs), intervalMs: t.ctx.options.waits.intervalMs, signal: t.ctx.options.signal },
    ).catch(() => undefined);
    const evidence = [
      `${count} members (from ${from}), quorum ${limits.quorum}`,
      `one member down: ${oneDown.detail}`,
      `${lost} members down: ${twoDown ? twoDown.detail : "the controller still answered OK after 60 s"}`,
    ];
    return {
      symptom: oneDown.ok && twoDown !== undefined,
      summary:
        oneDown.ok && twoDown
          ? `the controller kept working with one of ${count} members down and reported the failure with ${lost} down (quorum ${limits.quorum})`
          : oneDown.ok
            ? "the controller's status did not reflect the lost quorum"
            : "the controller failed with only one member down",
      evidence,
    };
  },
  async fix(t) {
    await scaleEtcd(t, t.ctx.config.etcd.replicas);
    await waitEtcdQuorum(t);
  },
  async verify(t): Promise<Observation> {
    // Through the highest member: it was stopped longest and must have caught up from its own volume.
    const { count } = await memberCount(t);
    const value = await etcdctlGet(t.ctx, count - 1, KEY);
    const status = await ankaStatus(await controllerUrl(t));
    return {
      symptom: value !== "written-before-the-outage" || !status.ok,
      summary: `quorum is back; the key written before reads "${value}" through the restarted member, controller ${status.ok ? "OK" : "not OK"}`,
      evidence: [status.detail],
    };
  },
  async restore(t) {
    await reapplyLab(t);
    await etcdctlDel(t.ctx, 0, KEY, { allowFailure: true });
  },
};
