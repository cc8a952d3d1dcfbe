import { addonEnabled, enableAddon } from "../../tools/minikube.js";
import { DiagnosedError, diagnosePods } from "../../diagnose.js";
import { listPodsIn, summarizePod } from "../../tools/kubectl.js";
import { notYet, ready, waitFor, WaitTimeoutError } from "../../wait.js";
import type { Step } from "../step.js";

/**
 * The ingress addon, then its controller Ready. Not the addon's own wait: it waits for Running,
 * not Ready, and selects app.kubernetes.io/name=ingress-nginx, which also matches the admission
 * Jobs' pods that never turn Ready (kubernetes/minikube pkg/addons/config.go addonPodLabels,
 * deploy/addons/ingress/ingress-deploy.yaml.tmpl); Ingress creation fails on the admission webhook
 * until the controller is Ready, hence ingress-nginx's own wait on
 * app.kubernetes.io/component=controller (kubernetes/ingress-nginx docs/deploy/index.md).
 */
export const CONTROLLER_SELECTOR = "app.kubernetes.io/component=controller";
export const INGRESS_NAMESPACE = "ingress-nginx";

export const ingressStep: Step = {
  id: "ingress",
  title: "ingress-nginx addon",
  summary: "the ingress addon, then its controller pod Ready",
  async run(ctx, report) {
    const enabled = !ctx.plannedFreshCluster && (await addonEnabled(ctx.runner, ctx.config.profile, "ingress"));
    if (!enabled) {
      report.output("enabling the ingress addon");
      await enableAddon(ctx, "ingress", {
        timeoutMs: 10 * 60_000,
        hint: `the addon pulls registry.k8s.io/ingress-nginx images; check kubectl --context ${ctx.kubeContext} -n ingress-nginx get pods`,
      });
    }
    if (ctx.dryRun) {
      ctx.plan.push(`wait for pods -n ${INGRESS_NAMESPACE} -l ${CONTROLLER_SELECTOR} to be Ready`);
      return;
    }
    try {
      await waitFor(
        "the ingress-nginx controller to be Ready",
        async () => {
          const pods = (await listPodsIn(ctx, INGRESS_NAMESPACE, CONTROLLER_SELECTOR)).map(summarizePod);
          if (pods.length === 0) return notYet("no controller pod yet");
          return pods.some((p) => p.ready) ? ready(true) : notYet(pods.map((p) => `${p.name} ${p.phase}`).join(", "));
        },
        { ...ctx.options.waits, signal: ctx.options.signal, onRetry: (r) => report.output(`waiting: ${r}`) },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      const diagnosis = await diagnosePods(ctx, CONTROLLER_SELECTOR, { namespace: INGRESS_NAMESPACE });
      throw new DiagnosedError(error.message, diagnosis, `kubectl --context ${ctx.kubeContext} -n ${INGRESS_NAMESPACE} describe pods -l ${CONTROLLER_SELECTOR}`);
    }
    if (enabled) report.skip("enabled, controller Ready");
  },
};
