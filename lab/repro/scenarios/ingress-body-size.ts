import { largeTransferAnnotations } from "../../topology/ingress.js";
import { PushError } from "../../transfer/client.js";
import { sampleTemplate } from "../../transfer/sample.js";
import { notYet, ready, waitFor } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { applyReproIngress, deleteReproIngress, ingressUrl, reproHost, waitReproRoute } from "../kit.js";

const BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size";

/** The lab's annotations without proxy-body-size: ingress-nginx's 1m default applies. */
function withoutBodySize(t: ReproTools): Record<string, string> {
  const { [BODY_SIZE]: _, ...rest } = largeTransferAnnotations(t.ctx.config.ingress.timeoutSeconds);
  return rest;
}

async function pushThroughRepro(t: ReproTools, seed: number): Promise<Observation> {
  const template = sampleTemplate(Math.min(t.options.size, 8 * 2 ** 20), seed);
  try {
    const result = await t.push({ to: ingressUrl(t.ctx), host: reproHost(t.ctx), template, attempts: 1 });
    return { symptom: false, summary: `the push of ${result.files.length} files went through the Ingress`, evidence: [] };
  } catch (error) {
    if (error instanceof PushError && error.status === 413) return { symptom: true, summary: "the Ingress refused the push with 413", evidence: [error.message] };
    throw error;
  }
}

export const scenario: Scenario = {
  name: "ingress-body-size",
  summary: "an Ingress without proxy-body-size refuses a push with 413; with it, the push passes",
  facts: [
    "ingress-nginx's proxy-body-size defaults to 1m and becomes client_max_body_size; over it nginx answers 413 before the backend sees a byte (kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md; https://nginx.org/en/docs/http/ngx_http_core_module.html#client_max_body_size)",
    "client-max-body-size is not an ingress-nginx annotation and changes nothing (it is in neither annotations.md nor configmap.md of kubernetes/ingress-nginx docs/user-guide/nginx-configuration/)",
  ],
  async setup(t) {
    await applyReproIngress(t.ctx, withoutBodySize(t));
    await waitReproRoute(t);
  },
  act: (t) => pushThroughRepro(t, 501),
  async fix(t) {
    await applyReproIngress(t.ctx, { ...withoutBodySize(t), [BODY_SIZE]: "0" });
  },
  async verify(t) {
    // ingress-nginx picks the change up a moment later; the first pushes may still see 413.
    return waitFor(
      "a push through the fixed Ingress",
      async () => {
        const seen = await pushThroughRepro(t, 502);
        return seen.symptom ? notYet(seen.evidence[0] ?? seen.summary) : ready(seen);
      },
      { ...t.ctx.options.waits, signal: t.ctx.options.signal },
    );
  },
  restore: (t) => deleteReproIngress(t.ctx),
};
