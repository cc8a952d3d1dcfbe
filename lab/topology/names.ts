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

/** Members a majority needs: floor(n/2)+1 (etcd FAQ). */
export function quorumOf(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}


/**
 * What a member needs to know when it starts with an empty data dir: the member list to bootstrap
 * or join, and whether the cluster is `new` or `existing`. The etcd image is distroless (no shell),
 * so a member cannot work this out itself the way Bitnami's start script does (bitnami/containers
 * bitnami/etcd/3.5/debian-12/rootfs/opt/bitnami/scripts/libetcd.sh, etcd_initialize: empty data
 * dir and a healthy cluster -> `etcdctl member add`, then start with the printed ETCD_INITIAL_CLUSTER
 * and `existing`). The lab does those steps from outside (lab/etcd/membership.ts) and hands the
 * result to the pod through this ConfigMap, read into env at container start and into the args by
 * $(VAR) expansion. Rendered for a fresh cluster: every member, `new`. A member that has data
 * ignores both (https://etcd.io/docs/v3.5/op-guide/configuration/#clustering-flags), so re-applying
 * the rendered values over a running cluster changes nothing until a member starts empty.
 */
export const ETCD_BOOTSTRAP_KEYS = { cluster: "initial-cluster", state: "initial-cluster-state" } as const;
/** The container env the ConfigMap's keys land in, expanded into the args. */
export const BOOTSTRAP_ENV = { cluster: "BOOTSTRAP_CLUSTER", state: "BOOTSTRAP_STATE" } as const;

/** `etcd-0=http://<dns>:2380,...` for members 0..count-1, the form --initial-cluster takes. */
export function initialCluster(config: LabConfig, count: number): string {
  return Array.from({ length: count }, (_, i) => `${NAMES.etcd}-${i}=${etcdPeerUrl(config, i)}`).join(",");
}

export function etcdPeerUrl(config: LabConfig, index: number): string {
  return `http://${etcdMemberHost(config, index)}:${ETCD_PORTS.peer}`;
}
