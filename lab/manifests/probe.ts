import { readFileSync } from "node:fs";
import { ConfigMap } from "kubernetes-models/v1";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { LabConfig } from "../config/schema.js";
import { sizeToBytes } from "../config/size.js";
import { REGISTRY_BASE_PATH, labelsFor } from "./names.js";

/**
 * The lab-only transfer probe (lab/probe/server.mjs): a third container in each build-cloud pod,
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
  return readFileSync(new URL("../probe/server.mjs", import.meta.url), "utf8");
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
      { name: "PROBE_MAX_BYTES", value: String(sizeToBytes(config.probe.maxBodySize)) },
    ],
    ports: [{ name: "probe", containerPort: PROBE.containerPort }],
    readinessProbe: { httpGet: { path: `${PROBE.pathPrefix}/healthz`, port: PROBE.containerPort }, periodSeconds: 5 },
    // Same reason as the registry: page cache from large writes must not count against a limit.
    resources: { requests: { cpu: "50m", memory: "64Mi" } },
    volumeMounts: [
      { name: "registry-data", mountPath: REGISTRY_BASE_PATH },
      { name: "probe-code", mountPath: PROBE.mountPath, readOnly: true },
    ],
  };
}

export function probeVolume(): IVolume {
  return { name: "probe-code", configMap: { name: PROBE.configMap } };
}
