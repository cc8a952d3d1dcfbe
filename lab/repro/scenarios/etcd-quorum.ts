import { CONTROLLER_STATUS_PATH, ankaStatus } from "../../anka/status.js";
import { NAMES } from "../../manifests/names.js";
import { loadBalancerAddress } from "../../steps/waits.js";
import { notYet, ready, waitFor } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { etcdctl } from "../../kube/exec.js";
import { reapplyLab, statefulSetReady, waitEtcdQuorum } from "../tools.js";

const KEY = "/anka-lab/repro/etcd-quorum";

/** Scaling the StatefulSet down keeps the highest members away (a deleted pod would be back in seconds). */
async function scaleEtcd(t: ReproTools, replicas: number): Promise<void> {
  await t.ctx.change(t.ctx.kubectl("scale", "statefulset", NAMES.etcd, "-n", t.ctx.config.namespace, `--replicas=${replicas}`), { timeoutMs: 60_000 });
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
  summary: "one etcd member down: the controller keeps working; two down: it reports the failure; restored: quorum and data return",
  facts: [
    "a majority is floor(n/2)+1: 3 members survive 1 failure, not 2 (etcd FAQ; ../shared/reference/anka-and-etcd.md s6)",
    "the controller keeps all its state in etcd (Veertu HA docs); a member restarting with its volume rejoins and catches up",
  ],
  async setup(t) {
    await etcdctl(t.ctx, 0, ["put", KEY, "written-before-the-outage"]);
  },
  async act(t): Promise<Observation> {
    const url = await controllerUrl(t);
    const replicas = t.ctx.config.etcd.replicas;
    await scaleEtcd(t, replicas - 1);
    const oneDown = await ankaStatus(url);
    await scaleEtcd(t, replicas - 2);
    // The controller notices within its etcd request timeout (ANKA_ETCD_REQUEST_TIMEOUT, 20 s).
    const twoDown = await waitFor(
      "the controller to report the lost quorum",
      async () => {
        const status = await ankaStatus(url);
        return status.ok ? notYet(status.detail) : ready(status);
      },
      { timeoutMs: Math.max(60_000, t.ctx.options.waits.timeoutMs), intervalMs: t.ctx.options.waits.intervalMs, signal: t.ctx.options.signal },
    ).catch(() => undefined);
    const evidence = [`one member down: ${oneDown.detail}`, `two members down: ${twoDown ? twoDown.detail : "the controller still answered OK after 60 s"}`];
    return {
      symptom: oneDown.ok && twoDown !== undefined,
      summary: oneDown.ok && twoDown ? "the controller kept working with one member down and reported the failure with two down" : oneDown.ok ? "the controller's status did not reflect the lost quorum" : "the controller failed with only one member down",
      evidence,
    };
  },
  async fix(t) {
    await scaleEtcd(t, t.ctx.config.etcd.replicas);
    await waitEtcdQuorum(t);
  },
  async verify(t): Promise<Observation> {
    const value = (await etcdctl(t.ctx, t.ctx.config.etcd.replicas - 1, ["get", KEY, "--print-value-only"])).stdout.trim();
    const status = await ankaStatus(await controllerUrl(t));
    return {
      symptom: value !== "written-before-the-outage" || !status.ok,
      summary: `quorum is back; the key written before reads "${value}" through the restarted member, controller ${status.ok ? "OK" : "not OK"}`,
      evidence: [status.detail],
    };
  },
  async restore(t) {
    await reapplyLab(t);
    await etcdctl(t.ctx, 0, ["del", KEY], { allowFailure: true });
  },
};
