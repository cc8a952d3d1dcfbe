import { readFileSync } from "node:fs";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { LabConfig } from "../config/schema.js";
import { sizeToBytes } from "../config/size.js";
import { NAMES, REGISTRY_BASE_PATH, labelsFor } from "./names.js";

/**
 * The lab-only transfer probe (lab/transfer/probeServer.mjs): a third container in each build-cloud pod,
 * run by a stock Node image from a ConfigMap, writing to its own folder on the shared registry
 * volume. It exists because `anka registry push`'s protocol is not public; see README.
 */
export const PROBE = {
  configMap: "anka-lab-probe",
  containerPort: 8070,
  pathPrefix: "/anka-lab-probe",
  mountPath: "/opt/anka-lab-probe",
  dataDir: `${REGISTRY_BASE_PATH}/anka-lab-probe`,
} as const;

export function probeSource(): string {
  return readFileSync(new URL("../transfer/probeServer.mjs", import.meta.url), "utf8");
}

export function buildProbeConfigMap(config: LabConfig): ConfigMap {
  return new ConfigMap({
    metadata: { name: PROBE.configMap, namespace: config.namespace, labels: labelsFor("probe") },
    data: { "server.mjs": probeSource() },
  });
}

export function probeContainer(config: LabConfig): IContainer {
  return {
    name: "probe",
    image: config.probe.image,
    imagePullPolicy: "IfNotPresent",
    command: ["node", `${PROBE.mountPath}/server.mjs`],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "PROBE_PORT", value: String(PROBE.containerPort) },
      { name: "PROBE_ROOT", value: PROBE.dataDir },
      { name: "PROBE_PREFIX", value: PROBE.pathPrefix },
      // No file can be larger than the volume it lands on; the probe also checks free space per upload.
      { name: "PROBE_MAX_BYTES", value: String(Math.min(sizeToBytes(config.probe.maxBodySize), sizeToBytes(config.registry.storageSize))) },
      // The per-lab token lab:up keeps in this Secret (lab/transfer/probeToken.ts). Optional, so manifests/
      // applied by hand (kubectl apply -k manifests) still start, with an open probe.
      { name: "PROBE_TOKEN", valueFrom: { secretKeyRef: { name: NAMES.probeToken, key: "token", optional: true } } },
    ],
    ports: [{ name: "probe", containerPort: PROBE.containerPort }],
    // No readiness probe: the probe is lab-only, and its health must not take the controller's and
    // registry's pod out of their Services. Callers ask <prefix>/healthz themselves (lab:push does first).
    securityContext: PROBE_SECURITY,
    // Same reason as the registry: page cache from large writes must not count against a limit.
    resources: { requests: { cpu: "50m", memory: "64Mi" } },
    volumeMounts: [
      { name: "registry-data", mountPath: REGISTRY_BASE_PATH },
      { name: "probe-code", mountPath: PROBE.mountPath, readOnly: true },
    ],
  };
}

/**
 * The node image's own unprivileged user, node (uid and gid 1000: nodejs/docker-node, alpine
 * Dockerfile, `addgroup -g 1000 node && adduser -u 1000 -G node`), with nothing writable but the volume.
 */
export const PROBE_UID = 1000;
const PROBE_SECURITY = {
  runAsNonRoot: true,
  runAsUser: PROBE_UID,
  runAsGroup: PROBE_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * The shared volume belongs to root (a hostPath directory on minikube's node), so before the probe
 * starts, a one-shot container hands it the probe's own folder: mkdir and chown, with CAP_CHOWN only.
 * Labs made by earlier versions have that folder owned by root; this takes it over too.
 */
export function probeFolderInit(config: LabConfig): IContainer {
  return {
    name: "probe-folder",
    image: config.probe.image,
    imagePullPolicy: "IfNotPresent",
    command: ["sh", "-c", 'mkdir -p "$1" && chown -R "$2:$2" "$1"', "sh", PROBE.dataDir, String(PROBE_UID)],
    securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["CHOWN"] } },
    resources: { requests: { cpu: "10m", memory: "16Mi" } },
    volumeMounts: [{ name: "registry-data", mountPath: REGISTRY_BASE_PATH }],
  };
}

export function probeVolume(): IVolume {
  return { name: "probe-code", configMap: { name: PROBE.configMap } };
}
