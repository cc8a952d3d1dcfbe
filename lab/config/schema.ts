import { z } from "zod";
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, isPinnedImage } from "./names.js";
import { SIZE_HINT, parseSize } from "./size.js";

const label = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(DNS1123_LABEL, "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit");
const hostname = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(DNS1123_SUBDOMAIN, "must be a DNS-1123 hostname such as anka.registry");
/** The largest size any lab setting may name: more than a laptop's disk, and far inside a safe integer. */
export const MAX_SIZE_BYTES = 16 * 2 ** 40;
const size = z
  .string()
  .refine((v) => parseSize(v) !== undefined, `must be a size: ${SIZE_HINT}`)
  .refine((v) => (parseSize(v) ?? 1) > 0, "must be more than 0, e.g. 1Gi")
  .refine((v) => (parseSize(v) ?? 0) <= MAX_SIZE_BYTES, "must be at most 16Ti, more than a lab can hold");
/**
 * Whole numbers from the environment, a file or --set, in decimal only: Number() would also take
 * "0x5", "8.1e3" and "" (as 5, 8100 and 0), which nobody means in a lab config.
 */
const decimal = z.preprocess(
  (v) => (typeof v === "string" ? (/^\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : v) : v),
  z.number({ error: "must be a whole number in decimal digits, e.g. 3" }).int("must be a whole number"),
);
const port = decimal.pipe(z.number().min(1, "must be a port from 1 to 65535").max(65535, "must be a port from 1 to 65535"));
const image = z
  .string()
  .refine(isPinnedImage, "must be an image reference with a tag or digest, e.g. quay.io/coreos/etcd:v3.5.33");
/** A StorageClass is named like any object: a DNS-1123 subdomain (kubernetes.io/docs/concepts/overview/working-with-objects/names/). */
const storageClassName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(DNS1123_SUBDOMAIN, "must be a StorageClass name: lower-case letters, digits, '-' and '.', e.g. standard");
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, "must be a CPU quantity such as 250m or 1");
const count = decimal;
// z.coerce.boolean() turns the string "false" into true, so env and flag text is mapped by hand.
const bool = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "must be true or false" }),
);

/**
 * The whole lab, as one typed value. Every key is listed with its default and meaning in
 * CONFIG_KEYS below; README's table is checked against it by a test.
 */
export const LabConfigSchema = z.strictObject({
  profile: label,
  namespace: label,
  context: z.string().min(1).optional(),
  minikube: z.strictObject({
    // Only docker: the lab's no-sudo exposure (LoadBalancers via an ssh tunnel on 127.0.0.1, the
    // ingress via --ports) exists only with the docker driver (kubernetes/minikube pkg/minikube/tunnel/kic/ssh_tunnel.go; README 'How lab:up exposes the lab').
    driver: z.enum(["docker"], { error: "must be docker: the lab's tunnel and ingress exposure need minikube's docker driver (README 'How lab:up exposes the lab')" }),
    cpus: count.pipe(z.number().min(2, "must be at least 2 (minikube's minimum)").max(64, "must be at most 64")),
    memory: size,
    diskSize: size,
    kubernetesVersion: z.string().regex(/^v?\d+\.\d+(\.\d+)?$/, "must be a Kubernetes version such as v1.35.1"),
    containerRuntime: z.enum(["docker", "containerd", "cri-o"]),
  }),
  etcd: z.strictObject({
    image,
    // Odd (an even count adds a member without adding fault tolerance) and at most 7: etcd's FAQ
    // advises against clusters larger than seven members (https://etcd.io/docs/v3.5/faq/).
    replicas: count.pipe(z.number()).refine((n) => n >= 3 && n <= 7 && n % 2 === 1, "must be 3, 5 or 7: odd, so a majority survives a lost member, and at most 7 as etcd's FAQ advises"),
    // etcd keeps 5 WAL segments of 64 MB and needs room for a defrag copy of its db, so the
    // backend quota (lab/topology/etcd.ts etcdQuotaBytes) is only sensible from about half a GiB.
    storageSize: size.refine((v) => (parseSize(v) ?? 0) >= 512 * 2 ** 20, "must be at least 512Mi: etcd keeps 320 MB of WAL and needs room to defragment"),
    autoCompactionRetention: z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, "must be a duration such as 10m or 1h (etcd --auto-compaction-retention in periodic mode)"),
    storageClass: storageClassName.optional(),
    clientServiceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]),
    cpuRequest: cpu,
    memoryRequest: size,
  }),
  buildCloud: z.strictObject({
    // Two show the HA claims; a laptop's minikube holds a few more at most.
    replicas: count.pipe(z.number().min(1, "must be at least 1").max(10, "must be at most 10 (a lab on one machine)")),
  }),
  controller: z.strictObject({
    image,
    port,
    hostname,
    cpuRequest: cpu,
    memoryRequest: size,
    memoryLimit: size.optional(),
  }),
  registry: z.strictObject({
    image,
    port,
    hostname,
    storageSize: size,
    storageClass: storageClassName,
    accessMode: z.enum(["ReadWriteMany", "ReadWriteOnce"]),
    cpuRequest: cpu,
    memoryRequest: size,
    memoryLimit: size.optional(),
  }),
  probe: z.strictObject({
    enabled: bool,
    image,
    port,
    maxBodySize: size,
  }),
  ingress: z.strictObject({
    className: z.string().min(1),
    port: decimal.pipe(z.number().min(1024, "must be 1024 or higher, so no sudo is needed to publish it").max(65535, "must be a port from 1 to 65535")),
    timeoutSeconds: count.pipe(z.number().min(60, "must be at least 60 seconds").max(86400, "must be at most 86400 seconds (a day)")),
    largeTransferAnnotations: bool,
    tls: bool,
  }),
});

export type LabConfig = z.infer<typeof LabConfigSchema>;

export interface ConfigKey {
  /** Dotted path, e.g. registry.storageSize. */
  readonly key: string;
  /** The default, or undefined when unset by default. */
  readonly default: string | number | boolean | undefined;
  readonly description: string;
}

/**
 * Every config key with its default. Controller and registry are pinned to the tags Veertu's own
 * chart uses (veertuinc/helm-charts charts/anka-build-cloud 1.50.0: v1.50.0). etcd is pinned to the
 * newest 3.5 patch, v3.5.33 (etcd-io/etcd CHANGELOG/CHANGELOG-3.5.md, "v3.5.33 (2026-07-23)"; later
 * 3.5 patches than the chart's v3.5.25 fix stale reads and CVEs), which etcd's release script pushes
 * to quay.io/coreos/etcd (etcd-io/etcd scripts/release.sh at v3.5.33).
 */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  { key: "profile", default: "anka-lab", description: "minikube profile (and its kube context)" },
  { key: "namespace", default: "anka", description: "Kubernetes namespace for every lab object" },
  { key: "context", default: undefined, description: "use this existing kube context instead of minikube (no minikube steps)" },
  { key: "minikube.driver", default: "docker", description: "minikube --driver; only docker is supported (see 'How lab:up exposes the lab')" },
  { key: "minikube.cpus", default: 4, description: "minikube --cpus (the lab needs about 4; 2 is too tight)" },
  { key: "minikube.memory", default: "6Gi", description: "minikube --memory (must fit in Docker Desktop's memory)" },
  { key: "minikube.diskSize", default: "40Gi", description: "minikube --disk-size (ignored by the docker driver)" },
  { key: "minikube.kubernetesVersion", default: "v1.35.1", description: "minikube --kubernetes-version, pinned" },
  { key: "minikube.containerRuntime", default: "docker", description: "minikube --container-runtime, pinned (the default moves to containerd in v1.39)" },
  { key: "etcd.image", default: "quay.io/coreos/etcd:v3.5.33", description: "etcd image (distroless since v3.5.7; newest 3.5 patch)" },
  { key: "etcd.replicas", default: 3, description: "etcd members: 3, 5 or 7; lab:up adds or removes members one at a time" },
  { key: "etcd.storageSize", default: "1Gi", description: "volume per etcd member; the backend quota is sized below it" },
  { key: "etcd.autoCompactionRetention", default: "10m", description: "etcd keeps this much history (periodic auto-compaction)" },
  { key: "etcd.storageClass", default: undefined, description: "StorageClass for etcd volumes; unset uses the cluster default" },
  { key: "etcd.clientServiceType", default: "ClusterIP", description: "type of the etcd client Service; ClusterIP keeps etcd inside the cluster" },
  { key: "etcd.cpuRequest", default: "100m", description: "CPU request per etcd member" },
  { key: "etcd.memoryRequest", default: "128Mi", description: "memory request per etcd member" },
  { key: "buildCloud.replicas", default: 2, description: "build-cloud pods (controller + registry each)" },
  { key: "controller.image", default: "veertu/anka-build-cloud-controller:v1.50.0", description: "Anka Build Cloud Controller image" },
  { key: "controller.port", default: 8090, description: "controller LoadBalancer port (to container port 80)" },
  { key: "controller.hostname", default: "anka.controller", description: "controller hostname (Ingress and /etc/hosts)" },
  { key: "controller.cpuRequest", default: "100m", description: "controller CPU request" },
  { key: "controller.memoryRequest", default: "128Mi", description: "controller memory request" },
  { key: "controller.memoryLimit", default: undefined, description: "controller memory limit; unset means none" },
  { key: "registry.image", default: "veertu/anka-build-cloud-registry:v1.50.0", description: "Anka Build Cloud Registry image" },
  { key: "registry.port", default: 8089, description: "registry LoadBalancer port (to container port 8089)" },
  { key: "registry.hostname", default: "anka.registry", description: "registry hostname (Ingress and /etc/hosts)" },
  { key: "registry.storageSize", default: "20Gi", description: "size of the volume both registries share" },
  { key: "registry.storageClass", default: "standard", description: "StorageClass of the shared volume (minikube's hostpath class)" },
  { key: "registry.accessMode", default: "ReadWriteMany", description: "access mode of the shared volume; must be ReadWriteMany with more than 1 pod" },
  { key: "registry.cpuRequest", default: "100m", description: "registry CPU request" },
  { key: "registry.memoryRequest", default: "256Mi", description: "registry memory request" },
  { key: "registry.memoryLimit", default: undefined, description: "registry memory limit: refused at render (page cache makes it restart)" },
  { key: "probe.enabled", default: true, description: "run the lab-only transfer probe beside each registry (lab:push, lab:smoke)" },
  { key: "probe.image", default: "node:22-alpine", description: "stock Node LTS image that runs the probe from a ConfigMap" },
  { key: "probe.port", default: 8087, description: "registry LoadBalancer port for the probe (the Ingress routes /anka-lab-probe to it)" },
  { key: "probe.maxBodySize", default: "64Gi", description: "largest file the probe accepts; bigger bodies get 413" },
  { key: "ingress.className", default: "nginx", description: "IngressClass of the lab's Ingresses" },
  { key: "ingress.port", default: 8080, description: "host port on 127.0.0.1 where the ingress answers (published at cluster creation)" },
  { key: "ingress.timeoutSeconds", default: 3600, description: "proxy read/send timeout for multi-GiB pushes, in seconds" },
  { key: "ingress.largeTransferAnnotations", default: true, description: "put the large-transfer annotations on the Ingresses (false is refused at render)" },
  { key: "ingress.tls", default: false, description: "serve the Ingresses over TLS with a lab-generated CA and certificate (Secret anka-lab-tls)" },
];

/** The environment variable that sets a key: registry.storageSize -> ANKA_LAB_REGISTRY_STORAGE_SIZE. */
export function envVarFor(key: string): string {
  return "ANKA_LAB_" + key.replace(/\./g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}
