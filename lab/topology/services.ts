import { Service } from "kubernetes-models/v1/Service";
import type { LabConfig } from "../config/schema.js";
import { CONTAINER_PORTS, NAMES, labelsFor, selectorFor } from "./names.js";
import { PROBE } from "./probe.js";

/**
 * LoadBalancers for the controller and the registry. With the docker driver, `minikube tunnel`
 * forwards each to 127.0.0.1:<port>, so ports at or above 1024 need no sudo
 * (kubernetes/minikube pkg/minikube/tunnel/kic/ssh_tunnel.go, ssh_conn.go).
 */
export function buildControllerService(config: LabConfig): Service {
  return new Service({
    metadata: { name: NAMES.controllerService, namespace: config.namespace, labels: labelsFor("controller") },
    spec: {
      type: "LoadBalancer",
      selector: selectorFor(NAMES.buildCloud),
      ports: [{ name: "http", port: config.controller.port, targetPort: CONTAINER_PORTS.controller }],
    },
  });
}

export function buildRegistryService(config: LabConfig): Service {
  return new Service({
    metadata: { name: NAMES.registryService, namespace: config.namespace, labels: labelsFor("registry") },
    spec: {
      type: "LoadBalancer",
      selector: selectorFor(NAMES.buildCloud),
      ports: [
        { name: "http", port: config.registry.port, targetPort: CONTAINER_PORTS.registry },
        ...(config.probe.enabled ? [{ name: "probe", port: config.probe.port, targetPort: PROBE.containerPort }] : []),
      ],
    },
  });
}
