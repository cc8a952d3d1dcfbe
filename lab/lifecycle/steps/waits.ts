import { CONTROLLER_STATUS_PATH, REGISTRY_STATUS_PATH, ankaStatus } from "../../tools/ankaApi.js";
import type { LabContext } from "../../context.js";
import { DiagnosedError, diagnosePods } from "../../diagnose.js";
import { etcdClusterHealth } from "../../tools/inPod.js";
import { getDeployment, getStatefulSet } from "../../tools/kubectl.js";
import { loadBalancerAddress, serviceUrls } from "../../observe.js";
import { ensureTunnel, markForwarding, tunnelStatus } from "../../tools/tunnel.js";
import { NAMES, selectorString } from "../../topology/names.js";
import { notYet, ready, waitFor, WaitTimeoutError, type Look } from "../../wait.js";
import type { Step, StepReport } from "../step.js";


/** Waits on a condition; on timeout, diagnoses the pods behind `component` and names the next step. */
async function waitDiagnosed<T>(
  ctx: LabContext,
  report: StepReport,
  what: string,
  component: string,
  look: () => Promise<Look<T>>,
  extra: { loadBalancerPending?: () => boolean } = {},
): Promise<T | undefined> {
  if (ctx.dryRun) {
    ctx.plan.push(`wait for ${what}`);
    return undefined;
  }
  try {
    return await waitFor(what, look, { ...ctx.options.waits, signal: ctx.options.signal, onRetry: (r) => report.output(`waiting: ${r}`) });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    const diagnosis = await diagnosePods(ctx, selectorString(component), { loadBalancerPending: extra.loadBalancerPending?.() ?? false });
    throw new DiagnosedError(
      error.message,
      diagnosis,
      `kubectl --context ${ctx.kubeContext} -n ${ctx.config.namespace} describe pods -l ${selectorString(component)}; then npm run lab:up again`,
    );
  }
}

export const etcdQuorumStep: Step = {
  id: "wait-etcd",
  title: "etcd quorum",
  summary: "every etcd pod Ready and every member healthy",
  async run(ctx, report) {
    const want = ctx.config.etcd.replicas;
    await waitDiagnosed(ctx, report, `all ${want} etcd members healthy`, NAMES.etcd, async () => {
      const sts = await getStatefulSet(ctx, NAMES.etcd);
      const readyCount = sts?.status?.readyReplicas ?? 0;
      if (readyCount < want) return notYet(`${readyCount}/${want} etcd pods Ready`);
      const { healthy, exitCode } = await etcdClusterHealth(ctx);
      return exitCode === 0 && healthy === want ? ready(true) : notYet(`${healthy}/${want} members healthy (etcdctl exit ${exitCode})`);
    });
    report.output(`${want}/${want} members healthy`);
  },
};

export const buildCloudReadyStep: Step = {
  id: "wait-build-cloud",
  title: "build-cloud pods Ready",
  summary: "the build-cloud pods (controller and registry in each) Ready",
  async run(ctx, report) {
    const want = ctx.config.buildCloud.replicas;
    await waitDiagnosed(ctx, report, `${want} build-cloud pods Ready`, NAMES.buildCloud, async () => {
      const deployment = await getDeployment(ctx, NAMES.buildCloud);
      const readyCount = deployment?.status?.readyReplicas ?? 0;
      const updated = deployment?.status?.updatedReplicas ?? 0;
      return readyCount >= want && updated >= want ? ready(true) : notYet(`${readyCount}/${want} pods Ready (controller + registry)`);
    });
    report.output(`${want}/${want} pods Ready`);
  },
};

export const loadBalancersStep: Step = {
  id: "wait-loadbalancers",
  title: "LoadBalancer addresses",
  summary: "an address on each LoadBalancer Service (the tunnel gives them 127.0.0.1)",
  async run(ctx, report) {
    let restarted = false;
    const addresses = await waitDiagnosed(
      ctx,
      report,
      "LoadBalancer addresses for the controller and registry",
      NAMES.buildCloud,
      async () => {
        if (ctx.usesMinikube && !(await tunnelStatus(ctx)).running) {
          // The tunnel died (laptop sleep, killed) or went stale (the node restarted): it is what
          // assigns these addresses and forwards them.
          await ensureTunnel(ctx);
          restarted = true;
        }
        const controller = await loadBalancerAddress(ctx, NAMES.controllerService);
        const registry = await loadBalancerAddress(ctx, NAMES.registryService);
        return controller && registry ? ready({ controller, registry }) : notYet(`controller ${controller ?? "pending"}, registry ${registry ?? "pending"}`);
      },
      { loadBalancerPending: () => true },
    );
    if (addresses) report.output(`controller ${addresses.controller}, registry ${addresses.registry}${restarted ? " (tunnel restarted)" : ""}`);
  },
};

export const servicesAnswerStep: Step = {
  id: "wait-services",
  title: "controller and registry answer",
  summary: "the controller's /api/v1/status and the registry's /registry/status answer through their LoadBalancers",
  async run(ctx, report) {
    const result = await waitDiagnosed(ctx, report, "the controller and registry status endpoints through their LoadBalancers", NAMES.buildCloud, async () => {
      const controller = await loadBalancerAddress(ctx, NAMES.controllerService);
      const registry = await loadBalancerAddress(ctx, NAMES.registryService);
      if (!controller || !registry) return notYet("LoadBalancer address missing");
      const urls = serviceUrls(ctx, { controller, registry });
      const [c, r] = await Promise.all([ankaStatus(urls.controller + CONTROLLER_STATUS_PATH), ankaStatus(urls.registry + REGISTRY_STATUS_PATH)]);
      return c.ok && r.ok ? ready(`${c.detail}; ${r.detail}`) : notYet(`${c.detail}; ${r.detail}`);
    });
    if (result && ctx.usesMinikube) markForwarding(ctx);
    if (result) report.output(result);
  },
};
