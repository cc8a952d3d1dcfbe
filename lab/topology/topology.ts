import type { Model } from "@kubernetes-models/base";
import type { LabConfig } from "../config/schema.js";
import { buildBuildCloudDeployment, buildBuildCloudDisruptionBudget } from "./buildCloud.js";
import { buildEtcdBootstrapConfigMap, buildEtcdClientService, buildEtcdDisruptionBudget, buildEtcdPeerService, buildEtcdStatefulSet } from "./etcd.js";
import { buildControllerIngress, buildRegistryIngress } from "./ingress.js";
import { buildNamespace } from "./namespace.js";
import { buildProbeConfigMap } from "./probe.js";
import { buildControllerService, buildRegistryService } from "./services.js";
import { buildRegistryVolumeClaim } from "./storage.js";

/** A plain Kubernetes object as JSON, what policy checks and tests read. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** One output file: a numbered name keeps `kubectl apply -f dir/` in dependency order. */
export interface ManifestFile {
  readonly name: string;
  readonly objects: readonly Model<unknown>[];
}

/** The whole HA topology for a config, grouped into files in apply order. */
export function buildTopology(config: LabConfig): ManifestFile[] {
  return [
    { name: "00-namespace.yaml", objects: [buildNamespace(config)] },
    {
      name: "10-etcd.yaml",
      objects: [
        buildEtcdPeerService(config),
        buildEtcdClientService(config),
        buildEtcdBootstrapConfigMap(config),
        buildEtcdStatefulSet(config),
        buildEtcdDisruptionBudget(config),
      ],
    },
    { name: "20-registry-storage.yaml", objects: [buildRegistryVolumeClaim(config)] },
    {
      name: "30-build-cloud.yaml",
      objects: [
        ...(config.probe.enabled ? [buildProbeConfigMap(config)] : []),
        buildBuildCloudDeployment(config),
        buildBuildCloudDisruptionBudget(config),
        buildControllerService(config),
        buildRegistryService(config),
      ],
    },
    { name: "40-ingress.yaml", objects: [buildControllerIngress(config), buildRegistryIngress(config)] },
  ];
}

export function toKubeObject(model: Model<unknown>): KubeObject {
  return JSON.parse(JSON.stringify(model.toJSON())) as KubeObject;
}

/**
 * Validates every object against the Kubernetes OpenAPI schema that kubernetes-models ships and
 * returns one line per problem, naming the object and the field.
 */
export function schemaProblems(files: readonly ManifestFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    for (const model of file.objects) {
      const object = toKubeObject(model);
      try {
        model.validate();
      } catch (error) {
        const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
        const where = `${file.name}: ${object.kind}/${object.metadata.name}`;
        if (!details) problems.push(`${where}: ${(error as Error).message}`);
        else for (const d of details) problems.push(`${where}: ${d.instancePath || "/"} ${d.message ?? "is invalid"}`);
      }
    }
  }
  return problems;
}
