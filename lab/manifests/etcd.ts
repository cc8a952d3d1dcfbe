import { StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import type { LabConfig } from "../config/schema.js";
import { ETCD_PORTS, NAMES, etcdMemberHost, labelsFor, selectorFor } from "./names.js";
import { preferSpreading } from "./spreading.js";

/** Members a majority needs: floor(n/2)+1 (etcd FAQ). */
export function quorumOf(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

export const ETCD_DATA_MOUNT = "/var/run/etcd";
const ETCD_DATA_DIR = `${ETCD_DATA_MOUNT}/default.etcd`;

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
 * args alone, with Kubernetes $(VAR) expansion of env set from the downward API. A fixed
 * --initial-cluster-state=new is safe across restarts: with a data dir present etcd ignores every
 * --initial-* flag (https://etcd.io/docs/v3.4/op-guide/configuration/#clustering-flags).
 */
export function buildEtcdStatefulSet(config: LabConfig): StatefulSet {
  const initialCluster = Array.from(
    { length: config.etcd.replicas },
    (_, i) => `${NAMES.etcd}-${i}=http://${etcdMemberHost(config, i)}:${ETCD_PORTS.peer}`,
  ).join(",");
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
                `--initial-cluster=${initialCluster}`,
                "--initial-cluster-state=new",
                "--initial-cluster-token=etcd-$(POD_NAMESPACE)",
                `--listen-metrics-urls=http://0.0.0.0:${ETCD_PORTS.metrics}`,
              ],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
              ],
              ports: [
                { name: "client", containerPort: ETCD_PORTS.client },
                { name: "peer", containerPort: ETCD_PORTS.peer },
                { name: "metrics", containerPort: ETCD_PORTS.metrics },
              ],
              // /readyz and /livez exist since v3.5.11 (etcd CHANGELOG-3.5); /livez does not need
              // quorum, so losing a majority does not make kubelet restart every member.
              readinessProbe: {
                httpGet: { path: "/readyz", port: "metrics" },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: "/livez", port: "metrics" },
                initialDelaySeconds: 10,
                periodSeconds: 10,
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
