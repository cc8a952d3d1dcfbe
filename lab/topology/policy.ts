import { REQUIRED_TRANSFER_ANNOTATIONS } from "./ingress.js";
import { NAMES } from "./names.js";
import type { KubeObject } from "./topology.js";

interface ContainerLike {
  name: string;
  resources?: { limits?: Record<string, string> };
  volumeMounts?: { name: string }[];
}
interface PodSpecLike {
  containers: ContainerLike[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

function podSpecOf(object: KubeObject): PodSpecLike | undefined {
  const spec = object.spec as { template?: { spec?: PodSpecLike } } | undefined;
  return spec?.template?.spec;
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/**
 * The HA rules the lab exists to demonstrate, checked on what would be applied. Each returned
 * line names the rule, the object and the fix; an empty list means the topology may be rendered.
 */
export function policyViolations(objects: readonly KubeObject[]): string[] {
  const violations: string[] = [];

  const buildCloud = find(objects, "Deployment", NAMES.buildCloud);
  const pod = buildCloud ? podSpecOf(buildCloud) : undefined;
  const registry = pod?.containers.find((c) => c.name === "registry");
  if (registry?.resources?.limits?.memory !== undefined) {
    violations.push(
      `Deployment/${NAMES.buildCloud}: the registry container has memory limit ${registry.resources.limits.memory}; ` +
        "page cache from large pushes counts against it and restarts the registry mid-transfer (kubernetes/kubernetes#43916). " +
        "Fix: unset registry.memoryLimit.",
    );
  }

  const etcd = find(objects, "StatefulSet", NAMES.etcd);
  const etcdReplicas = (etcd?.spec as { replicas?: number } | undefined)?.replicas;
  if (etcd && (etcdReplicas === undefined || etcdReplicas < 3 || etcdReplicas % 2 === 0)) {
    violations.push(
      `StatefulSet/${NAMES.etcd}: ${etcdReplicas} replicas; etcd needs an odd count of at least 3 to keep quorum with a member lost. ` +
        "Fix: set etcd.replicas to 3 or 5.",
    );
  }

  const replicas = (buildCloud?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const claimName = pod?.volumes?.find((v) => registry?.volumeMounts?.some((m) => m.name === v.name))?.persistentVolumeClaim?.claimName;
  const claim = claimName ? find(objects, "PersistentVolumeClaim", claimName) : undefined;
  const modes = (claim?.spec as { accessModes?: string[] } | undefined)?.accessModes ?? [];
  if (replicas > 1 && !modes.includes("ReadWriteMany")) {
    violations.push(
      `PersistentVolumeClaim/${claimName ?? "(none)"}: ${replicas} registries need one ReadWriteMany volume to see the same templates, ` +
        `got ${modes.length ? modes.join(",") : "no shared claim"}. Fix: set registry.accessMode to ReadWriteMany.`,
    );
  }

  const ingress = find(objects, "Ingress", NAMES.registryIngress);
  if (ingress) {
    const annotations = ingress.metadata.annotations ?? {};
    const missing = Object.entries(REQUIRED_TRANSFER_ANNOTATIONS).filter(([k, v]) => annotations[k] !== v);
    if (missing.length > 0) {
      violations.push(
        `Ingress/${NAMES.registryIngress}: missing large-transfer annotations ${missing.map(([k, v]) => `${k}: "${v}"`).join(", ")}; ` +
          "without them ingress-nginx refuses pushes over 1 MiB with 413 or spools them to disk. Fix: set ingress.largeTransferAnnotations to true.",
      );
    }
  }
  return violations;
}
