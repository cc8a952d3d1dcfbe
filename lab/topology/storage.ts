import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { LabConfig } from "../config/schema.js";
import { NAMES, labelsFor } from "./names.js";

/**
 * The one claim both registry containers mount. On a one-node minikube the default class
 * `standard` (k8s.io/minikube-hostpath) backs it with one directory,
 * /tmp/hostpath-provisioner/<namespace>/<claim>, and accepts ReadWriteMany unchecked, so both
 * pods really share it (kubernetes/minikube deploy/addons/storageclass/storageclass.yaml,
 * pkg/storage/storage_provisioner.go, cmd/storage-provisioner/main.go). With several nodes that
 * directory is per node: use csi-hostpath-sc (https://minikube.sigs.k8s.io/docs/tutorials/multi_node/,
 * https://minikube.sigs.k8s.io/docs/tutorials/volume_snapshots_and_csi/).
 */
export function buildRegistryVolumeClaim(config: LabConfig): PersistentVolumeClaim {
  return new PersistentVolumeClaim({
    metadata: {
      name: NAMES.registryVolume,
      namespace: config.namespace,
      labels: labelsFor("registry-data"),
      // lab:down removes the lab's objects but keeps this claim (and its templates) unless --purge.
      annotations: { "anka-lab/keep-on-down": "true" },
    },
    spec: {
      accessModes: [config.registry.accessMode],
      storageClassName: config.registry.storageClass,
      resources: { requests: { storage: config.registry.storageSize } },
    },
  });
}
