import { NAMES, labelsFor } from "../../topology/names.js";
import { applyServerSide, tlsSecretObject } from "../../tools/kubectl.js";
import { ensureLabTls } from "../../tools/openssl.js";
import type { Step } from "../step.js";

/**
 * With ingress.tls on: a lab CA and a certificate for both Ingress hosts, stored in the Secret the
 * rendered Ingresses name. Runs after apply, which creates the namespace; until the Secret exists
 * ingress-nginx serves its own fake certificate, and it picks the Secret up when it appears. The
 * Secret is applied, not rendered: manifests/ holds no key material.
 */
export const ingressTlsStep: Step = {
  id: "ingress-tls",
  title: "Ingress TLS certificate",
  summary: "a lab CA and a certificate for both Ingress hosts, in the Secret the Ingresses name",
  when: "with ingress.tls",
  enabled: (ctx) => ctx.config.ingress.tls,
  async run(ctx, report) {
    const hosts = [ctx.config.registry.hostname, ctx.config.controller.hostname];
    const { tls, made } = await ensureLabTls(ctx, hosts);
    const ns = ctx.config.namespace;
    if (ctx.dryRun) {
      ctx.plan.push(`store ${tls.cert} and ${tls.key} in Secret ${ns}/${NAMES.ingressTls}`);
      return;
    }
    const generated = await tlsSecretObject(ctx, NAMES.ingressTls, tls);
    const object = { ...generated, metadata: { ...generated.metadata, labels: labelsFor(NAMES.ingressTls) } };
    await applyServerSide(ctx, JSON.stringify(object), { timeoutMs: 60_000 });
    report.output(`${made ? "made" : "reused"} ${tls.cert} for ${hosts.join(", ")}, signed by ${tls.caCert}; Secret ${NAMES.ingressTls} applied`);
  },
};
