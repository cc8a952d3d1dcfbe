import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildTopology, schemaProblems, toKubeObject, type KubeObject } from "../lab/topology/topology.js";
import { RenderError, manifestDrift, renderManifests, writeManifests } from "../lab/topology/render.js";
import { craftedConfig, defaultConfig } from "./support/config.js";
import { hasBinary, skipReason } from "./support/binaries.js";

/** The YAML as a reader of manifests/ sees it, parsed back. */
function renderedObjects(): KubeObject[] {
  const { files } = renderManifests(defaultConfig());
  return [...files.entries()]
    .filter(([name]) => name !== "kustomization.yaml")
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as KubeObject));
}

function one(objects: KubeObject[], kind: string, name: string): any {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0];
}

describe("rendered YAML", () => {
  // kubectl reads manifests as YAML 1.1 (sigs.k8s.io/yaml wraps go-yaml v2), where `off` is a boolean.
  it("decodes to the same objects as YAML 1.1 (kubectl) and as YAML 1.2", () => {
    const { files } = renderManifests(defaultConfig());
    let documents = 0;
    for (const [name, text] of files) {
      const as11 = parseAllDocuments(text, { version: "1.1" }).map((d) => d.toJS());
      const as12 = parseAllDocuments(text, { version: "1.2" }).map((d) => d.toJS());
      expect(as11, name).toEqual(as12);
      documents += as12.length;
    }
    expect(documents).toBeGreaterThan(10);
    const ingress = parseAllDocuments(files.get("40-ingress.yaml")!, { version: "1.1" }).map((d) => d.toJS() as KubeObject);
    expect(ingress.every((o) => Object.values(o.metadata.annotations ?? {}).every((v) => typeof v === "string"))).toBe(true);
  });
});

describe("rendered topology", () => {
  it("validates every object against the Kubernetes schema", () => {
    expect(schemaProblems(buildTopology(defaultConfig()))).toEqual([]);
  });

  it("reports a schema problem with the object and field", () => {
    const topology = buildTopology(defaultConfig());
    const service = topology[1]!.objects[1] as any;
    service.spec.ports[0].port = "two";
    expect(schemaProblems(topology)).toEqual([expect.stringMatching(/^10-etcd\.yaml: Service\/etcd: \/spec\/ports\/0\/port must be integer/)]);
  });

  // The layout of Veertu's HA guide: namespace, 3 etcd pods, 2 build cloud pods of controller + registry,
  // one shared registry volume, load balancers (veertuinc/anka-docs "anka-build-cloud/High Availability/with-kubernetes.md").
  it("meets the checklist of Veertu's HA guide", () => {
    const objects = renderedObjects();
    expect(objects.every((o) => o.kind === "Namespace" || o.metadata.namespace === "anka")).toBe(true);
    one(objects, "Namespace", "anka");

    const etcd = one(objects, "StatefulSet", "etcd");
    expect(etcd.spec.replicas).toBe(3);
    expect(etcd.spec.podManagementPolicy).toBe("Parallel");
    expect(etcd.spec.volumeClaimTemplates).toHaveLength(1);
    const etcdContainer = etcd.spec.template.spec.containers[0];
    expect(etcdContainer.command).toEqual(["/usr/local/bin/etcd"]);
    expect(JSON.stringify(etcdContainer)).not.toMatch(/sh -c|\/bin\/sh|sleep/);
    expect(etcdContainer.readinessProbe).toBeDefined();
    expect(etcdContainer.livenessProbe).toBeDefined();
    expect(one(objects, "Service", "etcd-headless").spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    expect(one(objects, "Service", "etcd").spec.type).toBe("ClusterIP");
    expect(one(objects, "PodDisruptionBudget", "etcd").spec.minAvailable).toBe(2);

    const buildCloud = one(objects, "Deployment", "anka-build-cloud");
    expect(buildCloud.spec.replicas).toBe(2);
    const pod = buildCloud.spec.template.spec;
    // Each pod: a controller and a registry, plus the lab-only transfer probe (off with probe.enabled=false).
    expect(pod.containers.map((c: any) => c.name)).toEqual(["controller", "registry", "probe"]);
    const registry = pod.containers[1];
    expect(registry.resources.limits?.memory).toBeUndefined();
    expect(registry.env).toEqual(
      expect.arrayContaining([{ name: "ANKA_LISTEN_ADDR", value: ":8089" }, { name: "ANKA_BASE_PATH", value: "/mnt/vol" }]),
    );
    const controllerEnv = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(controllerEnv.ANKA_ETCD_ENDPOINTS.split(",")).toEqual([0, 1, 2].map((i) => `etcd-${i}.etcd-headless.anka.svc.cluster.local:2379`));
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);

    const shared = pod.volumes.find((v: any) => v.name === registry.volumeMounts[0].name);
    const claim = one(objects, "PersistentVolumeClaim", shared.persistentVolumeClaim.claimName);
    expect(claim.spec.accessModes).toEqual(["ReadWriteMany"]);

    const controllerSvc = one(objects, "Service", "anka-controller").spec;
    expect(controllerSvc).toMatchObject({ type: "LoadBalancer", ports: [{ port: 8090, targetPort: 80 }] });
    expect(one(objects, "Service", "anka-registry").spec).toMatchObject({ type: "LoadBalancer", ports: [{ port: 8089, targetPort: 8089 }, { name: "probe" }] });

    const ingress = one(objects, "Ingress", "anka-registry");
    expect(ingress.spec.ingressClassName).toBe("nginx");
    expect(ingress.spec.rules[0].host).toBe("anka.registry");
    expect(ingress.metadata.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/proxy-body-size": "0",
      "nginx.ingress.kubernetes.io/proxy-request-buffering": "off",
      "nginx.ingress.kubernetes.io/proxy-buffering": "off",
      "nginx.ingress.kubernetes.io/proxy-max-temp-file-size": "0",
    });
    expect(Number(ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThanOrEqual(600);
    expect(Object.keys(ingress.metadata.annotations).some((k) => k.endsWith("client-max-body-size"))).toBe(false);
    expect(one(objects, "Ingress", "anka-controller").spec.rules[0].host).toBe("anka.controller");
  });

  it("renders exactly controller + registry per pod with the probe off", () => {
    const { objects } = renderManifests(craftedConfig((c) => (c.probe.enabled = false)));
    const pod = (objects.find((o) => o.kind === "Deployment") as any).spec.template.spec;
    expect(pod.containers.map((c: any) => c.name)).toEqual(["controller", "registry"]);
    expect(objects.filter((o) => o.kind === "ConfigMap").map((o) => o.metadata.name)).toEqual(["etcd-bootstrap"]);
    const ingress = objects.find((o) => o.metadata.name === "anka-registry" && o.kind === "Ingress") as any;
    expect(ingress.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(["/"]);
  });

  it("ships the probe's code in its ConfigMap and routes its prefix through the registry Ingress", () => {
    const objects = renderedObjects();
    expect(one(objects, "ConfigMap", "anka-lab-probe").data["server.mjs"]).toContain("anka-lab transfer probe: LAB-ONLY");
    const paths = one(objects, "Ingress", "anka-registry").spec.rules[0].http.paths;
    expect(paths.map((p: any) => [p.path, p.backend.service.port.number])).toEqual([["/anka-lab-probe", 8087], ["/", 8089]]);
    expect(one(objects, "Service", "anka-registry").spec.ports.map((p: any) => p.port)).toEqual([8089, 8087]);
    const probe = one(objects, "Deployment", "anka-build-cloud").spec.template.spec.containers[2];
    expect(probe.resources.limits).toBeUndefined();
    expect(probe.volumeMounts.map((m: any) => m.mountPath)).toEqual(["/mnt/vol", "/opt/anka-lab-probe"]);
  });

  it("follows the config: five etcd members, another namespace", () => {
    const { objects } = renderManifests(craftedConfig((c) => ((c.etcd.replicas = 5), (c.namespace = "support"))));
    const etcd = objects.find((o) => o.kind === "StatefulSet") as any;
    expect(etcd.spec.replicas).toBe(5);
    const args: string[] = etcd.spec.template.spec.containers[0].args;
    expect(args).toContain("--initial-cluster=$(BOOTSTRAP_CLUSTER)");
    const bootstrap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "etcd-bootstrap") as any;
    expect(bootstrap.data["initial-cluster"].split(",")).toHaveLength(5);
    expect(bootstrap.data["initial-cluster"]).toContain("etcd-4=http://etcd-4.etcd-headless.support.svc.cluster.local:2380");
    expect(bootstrap.data["initial-cluster-state"]).toBe("new");
    expect((objects.find((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "etcd") as any).spec.minAvailable).toBe(3);
  });

  it("sizes etcd's quota below its volume and turns on compaction (etcd's defaults: 2 GiB quota, no compaction)", () => {
    const argsFor = (storageSize: string) => {
      const { objects } = renderManifests(craftedConfig((c) => (c.etcd.storageSize = storageSize)));
      return (objects.find((o) => o.kind === "StatefulSet") as any).spec.template.spec.containers[0].args as string[];
    };
    const quota = (storageSize: string) => Number(argsFor(storageSize).find((a) => a.startsWith("--quota-backend-bytes="))!.split("=")[1]);
    // (1 GiB - 5 WAL segments of 64 MB) / 2, leaving room for a defrag copy.
    expect(quota("1Gi")).toBe(376_870_912);
    expect(quota("1Gi")).toBeLessThan(2 ** 30 / 2);
    expect(quota("20Gi")).toBeLessThan(20 * 2 ** 30);
    expect(quota("100Gi")).toBe(8 * 2 ** 30);
    expect(argsFor("1Gi")).toEqual(expect.arrayContaining(["--auto-compaction-mode=periodic", "--auto-compaction-retention=10m"]));
  });

  it("pins etcd v3.5.33, probes with 5 s timeouts and keeps service links out of every pod", () => {
    const objects = renderedObjects();
    const etcd = one(objects, "StatefulSet", "etcd").spec.template.spec;
    expect(etcd.containers[0].image).toBe("quay.io/coreos/etcd:v3.5.33");
    expect(etcd.containers[0].readinessProbe.timeoutSeconds).toBe(5);
    expect(etcd.containers[0].livenessProbe.timeoutSeconds).toBe(5);
    const pods = objects.flatMap((o: any) => (o.spec?.template?.spec ? [[`${o.kind}/${o.metadata.name}`, o.spec.template.spec]] : []));
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const [name, pod] of pods) expect(pod.enableServiceLinks, name).toBe(false);
  });

  it("gives build-cloud central logging, a disruption budget and a graceful stop", () => {
    const objects = renderedObjects();
    const pod = one(objects, "Deployment", "anka-build-cloud").spec.template.spec;
    const [controller, registry] = pod.containers;
    expect(controller.env).toContainEqual({ name: "ANKA_ENABLE_CENTRAL_LOGGING", value: "true" });
    for (const c of [controller, registry]) expect(c.lifecycle.preStop.sleep.seconds).toBe(5);
    // preStop sleep + the Anka default 10 s drain must fit in the grace period.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5 + 10);
    const budget = one(objects, "PodDisruptionBudget", "anka-build-cloud").spec;
    expect(budget.minAvailable).toBe(1);
    expect(budget.selector.matchLabels).toEqual(one(objects, "Deployment", "anka-build-cloud").spec.selector.matchLabels);
  });

  it("serves the Ingresses over TLS only when ingress.tls is on", () => {
    expect(renderedObjects().filter((o: any) => o.kind === "Ingress" && o.spec.tls)).toEqual([]);
    const { objects } = renderManifests(craftedConfig((c) => (c.ingress.tls = true)));
    const tls = objects.filter((o) => o.kind === "Ingress").map((o: any) => o.spec.tls);
    expect(tls).toEqual([
      [{ hosts: ["anka.controller"], secretName: "anka-lab-tls" }],
      [{ hosts: ["anka.registry"], secretName: "anka-lab-tls" }],
    ]);
    // Plain HTTP (what lab:push and lab:smoke use) keeps working instead of redirecting.
    for (const o of objects.filter((o) => o.kind === "Ingress") as any[]) expect(o.metadata.annotations["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("false");
    expect(renderManifests(craftedConfig((c) => (c.ingress.tls = true))).files.get("40-ingress.yaml")).toContain('nginx.ingress.kubernetes.io/ssl-redirect: "false"');
  });

  it("labels every object part-of anka-lab, since lab:up's apply --prune -l only applies what matches", () => {
    const unlabelled = renderedObjects().filter((o) => o.metadata.labels?.["app.kubernetes.io/part-of"] !== "anka-lab");
    expect(unlabelled.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it("renders byte-identical text twice", () => {
    const a = renderManifests(defaultConfig()).files;
    const b = renderManifests(defaultConfig()).files;
    expect([...a.entries()]).toEqual([...b.entries()]);
  });
});

describe("policy checks", () => {
  const cases: [string, Parameters<typeof craftedConfig>[0], RegExp][] = [
    ["a registry memory limit", (c) => (c.registry.memoryLimit = "2Gi"), /registry container has memory limit 2Gi.*unset registry\.memoryLimit/],
    ["an even etcd", (c) => (c.etcd.replicas = 4), /StatefulSet\/etcd: 4 replicas.*odd count of at least 3/],
    ["a one-member etcd", (c) => (c.etcd.replicas = 1), /StatefulSet\/etcd: 1 replicas/],
    ["two registries on a ReadWriteOnce volume", (c) => (c.registry.accessMode = "ReadWriteOnce"), /2 registries need one ReadWriteMany volume .*got ReadWriteOnce\. Fix: set registry\.accessMode/],
    ["a registry Ingress without transfer annotations", (c) => (c.ingress.largeTransferAnnotations = false), /Ingress\/anka-registry: missing large-transfer annotations .*proxy-body-size: "0"/],
  ];
  it.each(cases)("refuses %s", (_, patch, pattern) => {
    let error: unknown;
    try {
      renderManifests(craftedConfig(patch));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).problems).toEqual([expect.stringMatching(pattern)]);
  });

  it("allows one registry on a ReadWriteOnce volume", () => {
    expect(() => renderManifests(craftedConfig((c) => ((c.registry.accessMode = "ReadWriteOnce"), (c.buildCloud.replicas = 1))))).not.toThrow();
  });
});

describe("manifests/ on disk", () => {
  it("is what the code renders for the default config (lab:render --check)", () => {
    expect(manifestDrift(join(import.meta.dirname, "..", "manifests"), renderManifests(defaultConfig()))).toEqual([]);
  });

  it("reports drift as a diff and a re-render fixes it, removing files it no longer renders", () => {
    const dir = mkdtempSync(join(tmpdir(), "anka-lab-render-"));
    const rendered = renderManifests(defaultConfig());
    writeManifests(dir, rendered);
    expect(manifestDrift(dir, rendered)).toEqual([]);
    const etcdFile = join(dir, "10-etcd.yaml");
    writeFileSync(etcdFile, readFileSync(etcdFile, "utf8").replace("replicas: 3", "replicas: 1"));
    cpSync(join(dir, "00-namespace.yaml"), join(dir, "99-stale.yaml"));
    writeFileSync(join(dir, "notes.yaml"), "# a user's own file\n");
    const drift = manifestDrift(dir, rendered);
    expect(drift).toHaveLength(2);
    expect(drift[0]).toContain("-  replicas: 1\n+  replicas: 3");
    const { written, removed } = writeManifests(dir, rendered);
    expect(written).toEqual(["10-etcd.yaml"]);
    expect(removed).toEqual(["99-stale.yaml"]);
    expect(readFileSync(join(dir, "notes.yaml"), "utf8")).toBe("# a user's own file\n");
    expect(manifestDrift(dir, rendered)).toEqual([]);
  });

  it.skipIf(!hasBinary("kubectl"))("builds with kubectl kustomize", () => {
    const out = execFileSync("kubectl", ["kustomize", join(import.meta.dirname, "..", "manifests")], { encoding: "utf8" });
    const kinds = parseAllDocuments(out).map((d) => (d.toJS() as KubeObject).kind);
    expect(kinds.sort()).toEqual(renderedObjects().map((o) => o.kind).sort());
  });
  if (!hasBinary("kubectl")) skipReason("kubectl kustomize", "kubectl", "brew install kubernetes-cli");
});

// Keep toKubeObject honest: it must be plain JSON, what the API server receives.
it("turns models into plain JSON", () => {
  const object = toKubeObject(buildTopology(defaultConfig())[0]!.objects[0]!);
  expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
  expect(object).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: expect.objectContaining({ name: "anka" }) });
});

describe("the lab-only probe container", () => {
  const deployment = () => renderedObjects().find((o) => o.kind === "Deployment") as any;
  it("runs as the image's unprivileged user, with a read-only root and no privilege escalation", () => {
    const probe = deployment().spec.template.spec.containers.find((c: any) => c.name === "probe");
    expect(probe.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });
  it("stays out of the pod's readiness, so the controller's and registry's Services never wait on it", () => {
    const probe = deployment().spec.template.spec.containers.find((c: any) => c.name === "probe");
    expect(probe.readinessProbe).toBeUndefined();
  });
  it("gets its folder on the root-owned shared volume from a one-shot chown with CAP_CHOWN only", () => {
    const [init] = deployment().spec.template.spec.initContainers;
    expect(init.command).toEqual(["sh", "-c", 'mkdir -p "$1" && chown -R "$2:$2" "$1"', "sh", "/mnt/vol/anka-lab-probe", "1000"]);
    expect(init.securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["CHOWN"] });
  });
});
