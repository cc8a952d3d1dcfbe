import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import type { LabConfig } from "../config/schema.js";
import { NAMES, labelsFor } from "./names.js";

const PREFIX = "nginx.ingress.kubernetes.io/";

/**
 * The annotations ingress-nginx reads for multi-GiB pushes (../shared/reference/ingress-nginx.md):
 * proxy-body-size 0 lifts the 1m body limit that otherwise answers 413; request buffering off
 * streams the body instead of spooling it to the ingress pod's disk first; proxy-buffering off and
 * proxy-max-temp-file-size 0 keep large downloads off that disk too; the timeouts cover a registry
 * that is slow to answer after the last byte. The seed's `client-max-body-size` is deliberately
 * absent: it belongs to F5's nginx.org controller, ingress-nginx ignores it.
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

function buildIngress(config: LabConfig, name: string, host: string, service: string, port: number): Ingress {
  return new Ingress({
    metadata: {
      name,
      namespace: config.namespace,
      labels: labelsFor(name),
      annotations: config.ingress.largeTransferAnnotations ? largeTransferAnnotations(config.ingress.timeoutSeconds) : {},
    },
    spec: {
      ingressClassName: config.ingress.className,
      rules: [
        {
          host,
          http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: port } } } }] },
        },
      ],
    },
  });
}

export function buildControllerIngress(config: LabConfig): Ingress {
  return buildIngress(config, NAMES.controllerIngress, config.controller.hostname, NAMES.controllerService, config.controller.port);
}

export function buildRegistryIngress(config: LabConfig): Ingress {
  return buildIngress(config, NAMES.registryIngress, config.registry.hostname, NAMES.registryService, config.registry.port);
}
