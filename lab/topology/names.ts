import type { LabConfig } from "../config/schema.js";

/** Object names shared by the builders, the lifecycle steps and the tests. */
export const NAMES = {
  etcd: "etcd",
  etcdPeers: "etcd-headless",
  etcdClient: "etcd",
  etcdBudget: "etcd",
  etcdBootstrap: "etcd-bootstrap",
  buildCloudBudget: "anka-build-cloud",
  ingressTls: "anka-lab-tls",
  buildCloud: "anka-build-cloud",
  controllerService: "anka-controller",
  registryService: "anka-registry",
  registryVolume: "anka-registry-data",
  controllerIngress: "anka-controller",
  registryIngress: "anka-registry",
  probeToken: "anka-lab-probe-token",
} as const;

/** Container ports fixed by the images (veertuinc/helm-charts templates/service.yaml). */
export const CONTAINER_PORTS = { controller: 80, registry: 8089 } as const;

/** Where the registry keeps templates; the chart mounts its volume at /mnt/vol (VCHART values.yaml). */
export const REGISTRY_BASE_PATH = "/mnt/vol";

/** etcd's ports (https://etcd.io/docs/v3.5/op-guide/kubernetes/). */
export const ETCD_PORTS = { client: 2379, peer: 2380, metrics: 8080 } as const;

export const PART_OF = "anka-lab";

/** Labels on every lab object; `part-of` is what pruning and teardown select on. */
export function labelsFor(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "anka-lab",
  };
}

export function selectorFor(component: string): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/part-of": PART_OF };
}

/** selectorFor as a kubectl -l argument. */
export function selectorString(component: string): string {
  return Object.entries(selectorFor(component))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

export const LAB_SELECTOR = `app.kubernetes.io/part-of=${PART_OF}`;

/** What lab:up prunes: objects of the lab that the lab itself manages (labelsFor). */
export const PRUNE_SELECTOR = `${LAB_SELECTOR},app.kubernetes.io/managed-by=anka-lab`;

const CLUSTER_DOMAIN = "cluster.local";

/** The stable DNS name of etcd member i (StatefulSet pod behind its headless Service). */
export function etcdMemberHost(config: LabConfig, index: number): string {
  return `${NAMES.etcd}-${index}.${NAMES.etcdPeers}.${config.namespace}.svc.${CLUSTER_DOMAIN}`;
}

export function etcdClientEndpoints(config: LabConfig): string[] {
  return Array.from({ length: config.etcd.replicas }, (_, i) => `${etcdMemberHost(config, i)}:${ETCD_PORTS.client}`);
}

export function serviceHost(config: LabConfig, service: string): string {
  return `${service}.${config.namespace}.svc.${CLUSTER_DOMAIN}`;
}
