import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { LabConfig } from "../config/schema.js";
import { NAMES, labelsFor } from "./names.js";
import { PROBE } from "./probe.js";

const PREFIX = "nginx.ingress.kubernetes.io/";

/**
 * The annotations ingress-nginx reads for multi-GiB pushes (kubernetes/ingress-nginx
 * docs/user-guide/nginx-configuration/annotations.md, internal/ingress/annotations/proxy/main.go):
 * proxy-body-size 0 lifts the 1m body limit that otherwise answers 413; request buffering off
 * streams the body instead of spooling it to the ingress pod's disk first; proxy-buffering off and
 * proxy-max-temp-file-size 0 keep large downloads off that disk too; the timeouts cover a registry
 * that is slow to answer after the last byte. `client-max-body-size`, which Veertu's HA guide listed
 * until December 2023 (veertuinc/anka-docs commit 2c4d7eda, "anka-build-cloud/High Availability/with-kubernetes.md"),
 * is deliberately absent: it belongs to F5's nginx.org controller, ingress-nginx ignores it.
 */
export function largeTransferAnnotations(timeoutSeconds: number): Record<string, string> {
  return {
    [`${PREFIX}proxy-body-size`]: "0",
    [`${PREFIX}proxy-request-buffering`]: "off",
    [`${PREFIX}proxy-buffering`]: "off",
    [`${PREFIX}proxy-max-temp-file-size`]: "0",
    [`${PREFIX}proxy-read-timeout`]: String(timeoutSeconds),
    [`${PREFIX}proxy-send-timeout`]: String(timeoutSeconds),
  };
}

/** The annotations whose absence breaks large pushes; policy checks look for these values. */
export const REQUIRED_TRANSFER_ANNOTATIONS: Readonly<Record<string, string>> = {
  [`${PREFIX}proxy-body-size`]: "0",
  [`${PREFIX}proxy-request-buffering`]: "off",
  [`${PREFIX}proxy-buffering`]: "off",
  [`${PREFIX}proxy-max-temp-file-size`]: "0",
};

interface Route {
  readonly path: string;
  readonly port: number;
}

function buildIngress(config: LabConfig, name: string, host: string, service: string, routes: readonly Route[]): Ingress {
  return new Ingress({
    metadata: {
      name,
      namespace: config.namespace,
      labels: labelsFor(name),
      annotations: {
        ...(config.ingress.largeTransferAnnotations ? largeTransferAnnotations(config.ingress.timeoutSeconds) : {}),
        // With TLS, ingress-nginx answers plain HTTP with a 308 to HTTPS by default (annotations.md,
        // "Server-side HTTPS enforcement through redirect"); the lab publishes only port 80, so HTTP
        // must keep serving pushes and HTTPS is the extra door.
        ...(config.ingress.tls ? { [`${PREFIX}ssl-redirect`]: "false" } : {}),
      },
    },
    spec: {
      ingressClassName: config.ingress.className,
      // Off by default. On, both hosts are served with the certificate lab:up makes from a lab CA
      // (lab/lifecycle/steps/tls.ts) and stores in this Secret, the way Veertu's chart takes
      // ingressNginxTLSSecretName (veertuinc/helm-charts charts/anka-build-cloud/templates/service.yaml).
      ...(config.ingress.tls ? { tls: [{ hosts: [host], secretName: NAMES.ingressTls }] } : {}),
      rules: [
        {
          host,
          http: {
            paths: routes.map((r) => ({ path: r.path, pathType: "Prefix", backend: { service: { name: service, port: { number: r.port } } } })),
          },
        },
      ],
    },
  });
}

export function buildControllerIngress(config: LabConfig): Ingress {
  return buildIngress(config, NAMES.controllerIngress, config.controller.hostname, NAMES.controllerService, [{ path: "/", port: config.controller.port }]);
}

export function buildRegistryIngress(config: LabConfig): Ingress {
  // The probe's lab-only prefix rides the same Ingress, so it gets the same annotations as pushes.
  return buildIngress(config, NAMES.registryIngress, config.registry.hostname, NAMES.registryService, [
    ...(config.probe.enabled ? [{ path: PROBE.pathPrefix, port: config.probe.port }] : []),
    { path: "/", port: config.registry.port },
  ]);
}
