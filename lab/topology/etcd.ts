import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import type { LabConfig } from "../config/schema.js";
import { sizeToBytes } from "../config/size.js";
import { BOOTSTRAP_ENV, ETCD_BOOTSTRAP_KEYS, ETCD_PORTS, NAMES, initialCluster, labelsFor, quorumOf, selectorFor } from "./names.js";
import { preferSpreading } from "./spreading.js";

export const ETCD_DATA_MOUNT = "/var/run/etcd";
const ETCD_DATA_DIR = `${ETCD_DATA_MOUNT}/default.etcd`;

// The cluster-shape facts live in names.ts, which loads no kubernetes-models (lab:up reads them before apply).
export { BOOTSTRAP_ENV, ETCD_BOOTSTRAP_KEYS, etcdPeerUrl, initialCluster, quorumOf } from "./names.js";


export function buildEtcdBootstrapConfigMap(config: LabConfig): ConfigMap {
  return new ConfigMap({
    metadata: { name: NAMES.etcdBootstrap, namespace: config.namespace, labels: labelsFor(NAMES.etcd) },
    data: {
      [ETCD_BOOTSTRAP_KEYS.cluster]: initialCluster(config, config.etcd.replicas),
      [ETCD_BOOTSTRAP_KEYS.state]: "new",
    },
  });
}

/** etcd writes each WAL segment as 64 MB (etcd-io/etcd server/wal/wal.go SegmentSizeBytes at v3.5.33). */
const WAL_SEGMENT_BYTES = 64 * 1000 * 1000;
/** and keeps 5 of them (server/embed/config.go DefaultMaxWALs). */
const WAL_SEGMENTS_KEPT = 5;
/** etcd warns above 8 GiB (server/etcdserver/quota.go MaxQuotaBytes). */
const MAX_QUOTA_BYTES = 8 * 1024 ** 3;

/**
 * The backend quota for a volume: what is left after the WAL segments etcd keeps, halved, because
 * a defrag writes a full copy of the db beside the old one before swapping
 * (server/mvcc/backend/backend.go defrag: "db.tmp.*" in the same dir). etcd's default (2 GiB,
 * server/etcdserver/quota.go DefaultQuotaBytes) is larger than the lab's 1 Gi volume, so the disk
 * would fill before etcd raised its NOSPACE alarm. The schema keeps the volume at 512Mi or more.
 */
export function etcdQuotaBytes(storageSize: string): number {
  const quota = Math.floor((sizeToBytes(storageSize, "etcd.storageSize") - WAL_SEGMENTS_KEPT * WAL_SEGMENT_BYTES) / 2);
  if (quota <= 0) throw new Error(`etcd.storageSize = ${storageSize}: too small for etcd's WAL; set it to 512Mi or more`);
  return Math.min(quota, MAX_QUOTA_BYTES);
}

/**
 * Headless Service that gives each member its stable DNS name. publishNotReadyAddresses lets
 * members resolve each other before any is Ready, which they need to form the cluster at all
 * (https://etcd.io/docs/v3.5/op-guide/kubernetes/).
 */
export function buildEtcdPeerService(config: LabConfig): Service {
  return new Service({
    metadata: { name: NAMES.etcdPeers, namespace: config.namespace, labels: labelsFor(NAMES.etcd) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorFor(NAMES.etcd),
      ports: [
        { name: "client", port: ETCD_PORTS.client, targetPort: "client" },
        { name: "peer", port: ETCD_PORTS.peer, targetPort: "peer" },
      ],
    },
  });
}

/** The Service the controller and people use; ClusterIP keeps etcd off the host network by default. */
export function buildEtcdClientService(config: LabConfig): Service {
  return new Service({
    metadata: { name: NAMES.etcdClient, namespace: config.namespace, labels: labelsFor(NAMES.etcd) },
    spec: {
      type: config.etcd.clientServiceType,
      selector: selectorFor(NAMES.etcd),
      ports: [{ name: "client", port: ETCD_PORTS.client, targetPort: "client" }],
    },
  });
}

/**
 * The etcd StatefulSet. The v3.5 image is distroless (no shell), so the member bootstraps from
 * args alone, with Kubernetes $(VAR) expansion of env set from the downward API and from the
 * bootstrap ConfigMap (see ETCD_BOOTSTRAP_KEYS). With a data dir present etcd ignores every
 * --initial-* flag (https://etcd.io/docs/v3.4/op-guide/configuration/#clustering-flags).
 */
export function buildEtcdStatefulSet(config: LabConfig): StatefulSet {
  const quota = etcdQuotaBytes(config.etcd.storageSize);
  const self = `$(POD_NAME).${NAMES.etcdPeers}.$(POD_NAMESPACE).svc.cluster.local`;
  return new StatefulSet({
    metadata: { name: NAMES.etcd, namespace: config.namespace, labels: labelsFor(NAMES.etcd) },
    spec: {
      serviceName: NAMES.etcdPeers,
      replicas: config.etcd.replicas,
      // Members must all start before any can become Ready (quorum), so no ordered start.
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: selectorFor(NAMES.etcd) },
      template: {
        metadata: { labels: labelsFor(NAMES.etcd) },
        spec: {
          // Service links would put ETCD_SERVICE_HOST, ETCD_PORT=tcp://... into etcd's own ETCD_*
          // config namespace (etcd logs each as unrecognized; pkg/flags/flag.go).
          enableServiceLinks: false,
          affinity: preferSpreading(NAMES.etcd),
          containers: [
            {
              name: "etcd",
              image: config.etcd.image,
              imagePullPolicy: "IfNotPresent",
              command: ["/usr/local/bin/etcd"],
              args: [
                "--name=$(POD_NAME)",
                `--data-dir=${ETCD_DATA_DIR}`,
                `--listen-peer-urls=http://0.0.0.0:${ETCD_PORTS.peer}`,
                `--listen-client-urls=http://0.0.0.0:${ETCD_PORTS.client}`,
                `--advertise-client-urls=http://${self}:${ETCD_PORTS.client}`,
                `--initial-advertise-peer-urls=http://${self}:${ETCD_PORTS.peer}`,
                `--initial-cluster=$(${BOOTSTRAP_ENV.cluster})`,
                `--initial-cluster-state=$(${BOOTSTRAP_ENV.state})`,
                "--initial-cluster-token=etcd-$(POD_NAMESPACE)",
                `--listen-metrics-urls=http://0.0.0.0:${ETCD_PORTS.metrics}`,
                // History older than the retention is compacted away, as every Veertu example sets
                // (chart README ETCD_AUTO_COMPACTION_RETENTION, getting-started --auto-compaction-retention);
                // etcd's default is "0", off (etcd-io/etcd server/etcdmain/config.go at v3.5.33).
                "--auto-compaction-mode=periodic",
                `--auto-compaction-retention=${config.etcd.autoCompactionRetention}`,
                `--quota-backend-bytes=${quota}`,
              ],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: BOOTSTRAP_ENV.cluster, valueFrom: { configMapKeyRef: { name: NAMES.etcdBootstrap, key: ETCD_BOOTSTRAP_KEYS.cluster } } },
                { name: BOOTSTRAP_ENV.state, valueFrom: { configMapKeyRef: { name: NAMES.etcdBootstrap, key: ETCD_BOOTSTRAP_KEYS.state } } },
              ],
              ports: [
                { name: "client", containerPort: ETCD_PORTS.client },
                { name: "peer", containerPort: ETCD_PORTS.peer },
                { name: "metrics", containerPort: ETCD_PORTS.metrics },
              ],
              // /readyz and /livez exist since v3.5.11 (etcd CHANGELOG-3.5); /livez does not need
              // quorum, so losing a majority does not make kubelet restart every member. 5 s
              // timeouts as etcd's Kubernetes guide (https://etcd.io/docs/v3.5/op-guide/kubernetes/):
              // /readyz does a linearizable read, a quorum round trip that can pass 1 s on a busy disk.
              readinessProbe: {
                httpGet: { path: "/readyz", port: "metrics" },
                periodSeconds: 5,
                timeoutSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: "/livez", port: "metrics" },
                initialDelaySeconds: 10,
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 6,
              },
              resources: { requests: { cpu: config.etcd.cpuRequest, memory: config.etcd.memoryRequest } },
              volumeMounts: [{ name: "data", mountPath: ETCD_DATA_MOUNT }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: labelsFor(NAMES.etcd) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(config.etcd.storageClass ? { storageClassName: config.etcd.storageClass } : {}),
            resources: { requests: { storage: config.etcd.storageSize } },
          },
        },
      ],
    },
  });
}

/** Voluntary disruptions (drains) may never take the cluster below quorum. */
export function buildEtcdDisruptionBudget(config: LabConfig): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: NAMES.etcdBudget, namespace: config.namespace, labels: labelsFor(NAMES.etcd) },
    spec: { minAvailable: quorumOf(config.etcd.replicas), selector: { matchLabels: selectorFor(NAMES.etcd) } },
  });
}
