import { MembershipRefused, reconcileMembership } from "../../etcd/membership.js";
import { getStatefulSet } from "../../tools/kubectl.js";
import { BOOTSTRAP_ENV, NAMES } from "../../topology/names.js";
import type { Step } from "../step.js";
import { LabError } from "../../errors.js";

/**
 * Runs before apply: applying a StatefulSet with more replicas first would start the new members
 * with the rendered `new` bootstrap, and they would form a second cluster (cluster ID mismatch).
 * Here members are added or removed one at a time, and a member etcd reports as having lost its
 * data dir is replaced, so apply then finds the StatefulSet already at its size.
 */
export const etcdMembersStep: Step = {
  id: "etcd-members",
  title: "etcd membership",
  summary: "after a change of etcd.replicas, members are added or removed one at a time; a member whose data was lost is replaced",
  async run(ctx, report) {
    const want = ctx.config.etcd.replicas;
    if (ctx.plannedFreshCluster) {
      report.skip(`a new cluster: apply starts ${want} members`);
      return;
    }
    const sts = await getStatefulSet(ctx, NAMES.etcd);
    if (!sts) {
      report.skip(`no etcd yet: apply starts ${want} members`);
      return;
    }
    const running = Number(sts.spec?.replicas ?? 0);
    const candidates = Array.from({ length: Math.max(running, 1) }, (_, i) => i);
    // A StatefulSet applied by an older lab hard-codes --initial-cluster and `new` in its args; a
    // pod it starts would ignore the bootstrap ConfigMap and bootstrap a second cluster.
    const args: string[] = sts.spec?.template?.spec?.containers?.[0]?.args ?? [];
    const readsBootstrap = args.some((a) => a.includes(`$(${BOOTSTRAP_ENV.cluster})`));
    let steps;
    try {
      steps = await reconcileMembership(ctx, want, candidates, (line) => report.output(line), {
        cannotChange: readsBootstrap
          ? undefined
          : `the running StatefulSet predates the ${NAMES.etcdBootstrap} ConfigMap, so a new pod would start a second cluster; run npm run lab:up -- --set etcd.replicas=${running} once to update it, then change`,
      });
    } catch (error) {
      if (error instanceof MembershipRefused)
        throw new MembershipRefused(error.message, {
          hint: `keep etcd.replicas at ${running} until the members are healthy: kubectl --context ${ctx.kubeContext} -n ${ctx.config.namespace} get pods -l app.kubernetes.io/name=etcd`,
        });
      throw error;
    }
    if (steps === undefined) {
      // Nobody answered etcdctl, so the members are unknown: resizing blind could split the cluster.
      if (running !== want)
        throw new LabError(`cannot change etcd from ${running} to ${want} members: no member answers etcdctl`, {
          hint: `run npm run lab:up with etcd.replicas=${running} until etcd is healthy, then change it`,
        });
      report.skip("no member answers etcdctl yet; the etcd quorum wait below reports why");
      return;
    }
    if (steps.length === 0) report.skip(`${want} members, as configured`);
    else report.output(`${steps.length} step(s) done; ${want} members healthy`);
  },
};
