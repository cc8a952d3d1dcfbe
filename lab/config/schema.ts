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
 * The whole lab, as one typed value: every key's type, default (`.default()`) and meaning
 * (`.meta({ description })`, zod's metadata in z.globalRegistry, https://zod.dev/metadata) sit
 * here, and CONFIG_KEYS below is read off this schema, so the loader, README's table and --set
 * all come from this one list.
 *
 * Controller and registry are pinned to the tags Veertu's own chart uses (veertuinc/helm-charts
 * charts/anka-build-cloud 1.50.0: v1.50.0). etcd is pinned to the newest 3.5 patch, v3.5.33
 * (etcd-io/etcd CHANGELOG/CHANGELOG-3.5.md, "v3.5.33 (2026-07-23)"; later 3.5 patches than the
 * chart's v3.5.25 fix stale reads and CVEs), which etcd's release script pushes to
 * quay.io/coreos/etcd (etcd-io/etcd scripts/release.sh at v3.5.33).
 */
export const LabConfigSchema = z.strictObject({
  profile: label.default("anka-lab").meta({ description: "minikube profile (and its kube context)" }),
  namespace: label.default("anka").meta({ description: "Kubernetes namespace for every lab object" }),
  context: z.string().min(1).optional().meta({ description: "use this existing kube context instead of minikube (no minikube steps)" }),
  minikube: z.strictObject({
    // Only docker: the lab's no-sudo exposure (LoadBalancers via an ssh tunnel on 127.0.0.1, the
    // ingress via --ports) exists only with the docker driver (kubernetes/minikube pkg/minikube/tunnel/kic/ssh_tunnel.go; README 'How lab:up exposes the lab').
    driver: z
      .enum(["docker"], { error: "must be docker: the lab's tunnel and ingress exposure need minikube's docker driver (README 'How lab:up exposes the lab')" })
      .default("docker")
      .meta({ description: "minikube --driver; only docker is supported (see 'How lab:up exposes the lab')" }),
    cpus: count
      .pipe(z.number().min(2, "must be at least 2 (minikube's minimum)").max(64, "must be at most 64"))
      .default(4)
      .meta({ description: "minikube --cpus (the lab needs about 4; 2 is too tight)" }),
    memory: size.default("6Gi").meta({ description: "minikube --memory (must fit in Docker Desktop's memory)" }),
    diskSize: size.default("40Gi").meta({ description: "minikube --disk-size (ignored by the docker driver)" }),
    kubernetesVersion: z
      .string()
      .regex(/^v?\d+\.\d+(\.\d+)?$/, "must be a Kubernetes version such as v1.35.1")
      .default("v1.35.1")
      .meta({ description: "minikube --kubernetes-version, pinned" }),
    containerRuntime: z
      .enum(["docker", "containerd", "cri-o"])
      .default("docker")
      .meta({ description: "minikube --container-runtime, pinned (the default moves to containerd in v1.39)" }),
  }),
  etcd: z.strictObject({
    image: image.default("quay.io/coreos/etcd:v3.5.33").meta({ description: "etcd image (distroless since v3.5.7; newest 3.5 patch)" }),
    // Odd (an even count adds a member without adding fault tolerance) and at most 7: etcd's FAQ
    // advises against clusters larger than seven members (https://etcd.io/docs/v3.5/faq/).
    replicas: count
      .pipe(z.number())
      .refine((n) => n >= 3 && n <= 7 && n % 2 === 1, "must be 3, 5 or 7: odd, so a majority survives a lost member, and at most 7 as etcd's FAQ advises")
      .default(3)
      .meta({ description: "etcd members: 3, 5 or 7; lab:up adds or removes members one at a time" }),
    // etcd keeps 5 WAL segments of 64 MB and needs room for a defrag copy of its db, so the
    // backend quota (lab/topology/etcd.ts etcdQuotaBytes) is only sensible from about half a GiB.
    storageSize: size
      .refine((v) => (parseSize(v) ?? 0) >= 512 * 2 ** 20, "must be at least 512Mi: etcd keeps 320 MB of WAL and needs room to defragment")
      .default("1Gi")
      .meta({ description: "volume per etcd member; the backend quota is sized below it" }),
    autoCompactionRetention: z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, "must be a duration such as 10m or 1h (etcd --auto-compaction-retention in periodic mode)")
      .default("10m")
      .meta({ description: "etcd keeps this much history (periodic auto-compaction)" }),
    storageClass: storageClassName.optional().meta({ description: "StorageClass for etcd volumes; unset uses the cluster default" }),
    clientServiceType: z
      .enum(["ClusterIP", "NodePort", "LoadBalancer"])
      .default("ClusterIP")
      .meta({ description: "type of the etcd client Service; ClusterIP keeps etcd inside the cluster" }),
    cpuRequest: cpu.default("100m").meta({ description: "CPU request per etcd member" }),
    memoryRequest: size.default("128Mi").meta({ description: "memory request per etcd member" }),
  }),
  buildCloud: z.strictObject({
    // Two show the HA claims; a laptop's minikube holds a few more at most.
    replicas: count
      .pipe(z.number().min(1, "must be at least 1").max(10, "must be at most 10 (a lab on one machine)"))
      .default(2)
      .meta({ description: "build-cloud pods (controller + registry each)" }),
  }),
  controller: z.strictObject({
    image: image.default("veertu/anka-build-cloud-controller:v1.50.0").meta({ description: "Anka Build Cloud Controller image" }),
    port: port.default(8090).meta({ description: "controller LoadBalancer port (to container port 80)" }),
    hostname: hostname.default("anka.controller").meta({ description: "controller hostname (Ingress and /etc/hosts)" }),
    cpuRequest: cpu.default("100m").meta({ description: "controller CPU request" }),
    memoryRequest: size.default("128Mi").meta({ description: "controller memory request" }),
    memoryLimit: size.optional().meta({ description: "controller memory limit; unset means none" }),
  }),
  registry: z.strictObject({
    image: image.default("veertu/anka-build-cloud-registry:v1.50.0").meta({ description: "Anka Build Cloud Registry image" }),
    port: port.default(8089).meta({ description: "registry LoadBalancer port (to container port 8089)" }),
    hostname: hostname.default("anka.registry").meta({ description: "registry hostname (Ingress and /etc/hosts)" }),
    storageSize: size.default("20Gi").meta({ description: "size of the volume both registries share" }),
    storageClass: storageClassName.default("standard").meta({ description: "StorageClass of the shared volume (minikube's hostpath class)" }),
    accessMode: z
      .enum(["ReadWriteMany", "ReadWriteOnce"])
      .default("ReadWriteMany")
      .meta({ description: "access mode of the shared volume; must be ReadWriteMany with more than 1 pod" }),
    cpuRequest: cpu.default("100m").meta({ description: "registry CPU request" }),
    memoryRequest: size.default("256Mi").meta({ description: "registry memory request" }),
    memoryLimit: size.optional().meta({ description: "registry memory limit: refused at render (page cache makes it restart)" }),
  }),
  probe: z.strictObject({
    enabled: bool.default(true).meta({ description: "run the lab-only transfer probe beside each registry (lab:push, lab:smoke)" }),
    image: image.default("node:22-alpine").meta({ description: "stock Node LTS image that runs the probe from a ConfigMap" }),
    port: port.default(8087).meta({ description: "registry LoadBalancer port for the probe (the Ingress routes /anka-lab-probe to it)" }),
    maxBodySize: size.default("64Gi").meta({ description: "largest file the probe accepts; bigger bodies get 413" }),
  }),
  ingress: z.strictObject({
    className: z.string().min(1).default("nginx").meta({ description: "IngressClass of the lab's Ingresses" }),
    port: decimal
      .pipe(z.number().min(1024, "must be 1024 or higher, so no sudo is needed to publish it").max(65535, "must be a port from 1 to 65535"))
      .default(8080)
      .meta({ description: "host port on 127.0.0.1 where the ingress answers (published at cluster creation)" }),
    timeoutSeconds: count
      .pipe(z.number().min(60, "must be at least 60 seconds").max(86400, "must be at most 86400 seconds (a day)"))
      .default(3600)
      .meta({ description: "proxy read/send timeout for multi-GiB pushes, in seconds" }),
    largeTransferAnnotations: bool
      .default(true)
      .meta({ description: "put the large-transfer annotations on the Ingresses (false is refused at render)" }),
    tls: bool.default(false).meta({ description: "serve the Ingresses over TLS with a lab-generated CA and certificate (Secret anka-lab-tls)" }),
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
 * Every leaf of a schema as a config key, in the schema's order: nested objects become dotted
 * keys; a ZodDefault gives its default (zod v4 keeps it in `def.defaultValue`), and `.meta()` with
 * no argument reads the description back (https://zod.dev/metadata#meta).
 */
function keysOf(schema: z.ZodObject, prefix = ""): ConfigKey[] {
  return Object.entries(schema.shape).flatMap(([name, field]): ConfigKey[] => {
    const key = prefix + name;
    if (field instanceof z.ZodObject) return keysOf(field, `${key}.`);
    const fallback = field instanceof z.ZodDefault ? (field.def.defaultValue as ConfigKey["default"]) : undefined;
    return [{ key, default: fallback, description: field.meta()?.description ?? "" }];
  });
}

/** Every config key with its default and meaning, read off LabConfigSchema. */
export const CONFIG_KEYS: readonly ConfigKey[] = keysOf(LabConfigSchema);

/** The environment variable that sets a key: registry.storageSize -> ANKA_LAB_REGISTRY_STORAGE_SIZE. */
export function envVarFor(key: string): string {
  return "ANKA_LAB_" + key.replace(/\./g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}
