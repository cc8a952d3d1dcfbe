import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { doctorCommand, doctorSpec } from "../lab/commands/doctor.js";
import { downCommand, downSpec } from "../lab/commands/down.js";
import { statusCommand, statusSpec } from "../lab/commands/status.js";
import { upCommand, upSpec } from "../lab/commands/up.js";
import { LabContext } from "../lab/context.js";
import { loadConfig } from "../lab/config/load.js";
import { scenario as etcdQuorum } from "../lab/repro/scenarios/etcd-quorum.js";
import { scenario as memoryLimit } from "../lab/repro/scenarios/registry-memory-limit.js";
import { applyReproIngress } from "../lab/repro/kit.js";
import type { ReproTools } from "../lab/repro/scenario.js";
import { api } from "./cluster/api.js";
import { CONTEXT } from "./cluster/controlPlane.js";
import { contextRunner, controlPlaneAvailable, inPodCommands, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { isMutating, type FakeRunner } from "./support/fakeRunner.js";
import type { InPodCommands } from "./support/inPod.js";
import { ankaStubs, harness, macHostFacts, type AnkaStubs, type Harness } from "./support/lab.js";
import { testContext } from "./support/context.js";

/**
 * The control-plane tier: lab:up, lab:status, lab:down and the repro scenarios' changes through
 * --context, against a real kube-apiserver, kube-controller-manager, kube-scheduler and kwok, with
 * the real kubectl. Only in-pod commands (etcdctl, node -e) and the Anka status endpoints are played.
 */
const available = controlPlaneAvailable("test/context.cluster.test.ts");

describe.skipIf(!available)("lab on an existing context (control-plane tier)", { timeout: 120_000 }, () => {
  const controlPlane = useControlPlane();
  let stubs: AnkaStubs;
  let inPod: InPodCommands;
  let runner: FakeRunner;
  let lab: Harness;
  let namespace: string;
  beforeAll(async () => {
    stubs = await ankaStubs();
  });
  afterAll(async () => {
    await stubs?.close();
  });
  beforeEach(() => {
    testKubeconfig(controlPlane());
    inPod = inPodCommands(controlPlane());
    runner = contextRunner(inPod);
    namespace = uniqueNamespace();
    lab = harness({ runner }, stubs, { hostFacts: macHostFacts(), waits: { timeoutMs: 30_000, intervalMs: 200 } }, { ANKA_LAB_NAMESPACE: namespace });
  });

  const up = (...argv: string[]) => lab.run(upSpec, upCommand, "--context", CONTEXT, ...argv);
  const down = (...argv: string[]) => lab.run(downSpec, downCommand, "--context", CONTEXT, ...argv);
  const status = (...argv: string[]) => lab.run(statusSpec, statusCommand, "--context", CONTEXT, ...argv);
  const kubectl = (...args: string[]) => execFileSync("kubectl", ["--context", CONTEXT, ...args], { encoding: "utf8" });
  const getJson = (...args: string[]) => JSON.parse(kubectl("get", ...args, "-o", "json"));
  /** Every object of the lab's namespace by kind/name, with its resourceVersion. */
  const labObjects = (): Record<string, string> =>
    Object.fromEntries(
      getJson("services,configmaps,statefulsets.apps,deployments.apps,ingresses.networking.k8s.io,poddisruptionbudgets.policy,persistentvolumeclaims", "-n", namespace, "-l", "app.kubernetes.io/part-of=anka-lab")
        .items.map((o: any) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
    );
  const failIfNot = (code: number, expected: number) => {
    if (code !== expected) throw new Error(`exit ${code}, expected ${expected}; stderr:\n${lab.io.stderr.join("\n")}\nstdout:\n${lab.io.stdout.join("\n")}`);
  };

  it("lab:up applies, waits and prints its summary; a second lab:up changes nothing", async () => {
    const started = Date.now();
    failIfNot(await up(), 0);
    const firstMs = Date.now() - started;
    expect(lab.io.stdout.join("\n")).toContain(`kube context ${CONTEXT}, namespace ${namespace}`);
    const objects = labObjects();
    expect(Object.keys(objects).sort()).toEqual([
      "ConfigMap/anka-lab-probe", "ConfigMap/etcd-bootstrap", "Deployment/anka-build-cloud", "Ingress/anka-controller", "Ingress/anka-registry",
      "PersistentVolumeClaim/anka-registry-data", "PersistentVolumeClaim/data-etcd-0", "PersistentVolumeClaim/data-etcd-1", "PersistentVolumeClaim/data-etcd-2",
      "PodDisruptionBudget/anka-build-cloud", "PodDisruptionBudget/etcd", "Service/anka-controller", "Service/anka-registry", "Service/etcd", "Service/etcd-headless", "StatefulSet/etcd",
    ]);
    expect(runner.calls.filter((c) => c.argv[0] === "minikube" || c.detached)).toEqual([]);
    expect(runner.calls.filter((c) => c.argv[0] === "kubectl").every((c) => c.argv[1] === "--context" && c.argv[2] === CONTEXT)).toBe(true);
    const apply = runner.calls.find((c) => c.argv.includes("apply"))!;
    expect(apply.argv).toEqual(["kubectl", "--context", CONTEXT, "apply", "--server-side", "--field-manager=anka-lab", "--force-conflicts", "-f", "-"]);

    const before = runner.calls.length;
    const again = Date.now();
    failIfNot(await up(), 0);
    const secondMs = Date.now() - again;
    expect(labObjects()).toEqual(objects);
    expect(runner.calls.slice(before).filter(isMutating).map((c) => c.argv.slice(3, 4).join(" "))).toEqual(["apply"]);
    console.log(`lab:up --context wall time to ready: first run ${(firstMs / 1000).toFixed(1)} s, no-op second run ${(secondMs / 1000).toFixed(1)} s`);
  });

  it("changing etcd.replicas adds members then removes them, through the real StatefulSet, ConfigMap and volumes", async () => {
    failIfNot(await up(), 0);
    failIfNot(await up("--set", "etcd.replicas=5"), 0);
    const members = async () => (await inPod.answer(["kubectl", "--context", CONTEXT, "exec", "-n", namespace, "etcd-0", "-c", "etcd", "--", "etcdctl", "member", "list", "-w", "simple"]))!.stdout!;
    expect((await members()).trim().split("\n").map((l) => l.split(", ")[2])).toEqual(["etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"]);
    const sts = getJson("statefulset", "etcd", "-n", namespace);
    expect([sts.spec.replicas, sts.status.readyReplicas]).toEqual([5, 5]);
    // Each added member was started with "existing": the bootstrap ConfigMap said so while it started.
    const patches = runner.calls.filter((c) => c.argv.includes("patch") && c.argv.includes("configmap"));
    expect(patches.map((c) => JSON.parse(c.argv.at(-1)!).data)).toEqual([
      expect.objectContaining({ "initial-cluster-state": "existing" }),
      expect.objectContaining({ "initial-cluster-state": "existing" }),
    ]);
    // Then apply put the rendered bootstrap values back, and the disruption budget follows the size.
    expect(getJson("configmap", "etcd-bootstrap", "-n", namespace).data["initial-cluster-state"]).toBe("new");
    expect(getJson("poddisruptionbudget", "etcd", "-n", namespace).spec.minAvailable).toBe(3);

    failIfNot(await up("--set", "etcd.replicas=3"), 0);
    expect((await members()).trim().split("\n").map((l) => l.split(", ")[2])).toEqual(["etcd-0", "etcd-1", "etcd-2"]);
    expect(getJson("statefulset", "etcd", "-n", namespace).spec.replicas).toBe(3);
    expect(getJson("poddisruptionbudget", "etcd", "-n", namespace).spec.minAvailable).toBe(2);
    // The removed members' volumes are gone, so a later etcd-3 cannot start as the removed member.
    expect(Object.keys(labObjects()).filter((k) => k.startsWith("PersistentVolumeClaim/data-etcd"))).toEqual([
      "PersistentVolumeClaim/data-etcd-0", "PersistentVolumeClaim/data-etcd-1", "PersistentVolumeClaim/data-etcd-2",
    ]);
  });

  it("keeps the probe's token in .lab/ and in the Secret the probe reads, the same across runs and checkouts", async () => {
    failIfNot(await up(), 0);
    const file = join(lab.stateDir, "probe-token");
    const token = readFileSync(file, "utf8").trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = () => getJson("secret", "anka-lab-probe-token", "-n", namespace);
    expect(Buffer.from(secret().data.token, "base64").toString()).toBe(token);
    const template = () => getJson("deployment", "anka-build-cloud", "-n", namespace).spec.template;
    const probeEnv = template().spec.containers.find((c: any) => c.name === "probe").env.find((e: any) => e.name === "PROBE_TOKEN");
    expect(probeEnv.valueFrom.secretKeyRef).toEqual({ name: "anka-lab-probe-token", key: "token", optional: true });
    const digest = template().metadata.annotations["anka-lab/probe-token-sha256"];
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    const versions = [secret().metadata.resourceVersion, getJson("deployment", "anka-build-cloud", "-n", namespace).metadata.resourceVersion];

    // Another checkout of the lab (no .lab/probe-token): the token comes back from the Secret, nothing restarts.
    rmSync(file);
    failIfNot(await up(), 0);
    expect(readFileSync(file, "utf8").trim()).toBe(token);
    expect([secret().metadata.resourceVersion, getJson("deployment", "anka-build-cloud", "-n", namespace).metadata.resourceVersion]).toEqual(versions);
  });

  it("lab:doctor compares kubectl with the context's API server, not the minikube pin", async () => {
    failIfNot(await lab.run(doctorSpec, doctorCommand, "--context", CONTEXT, "--set", "minikube.kubernetesVersion=v1.20.0"), 0);
    const out = lab.io.stdout.join("\n");
    const server = JSON.parse(kubectl("version", "-o", "json")).serverVersion.gitVersion;
    expect(server).toMatch(/^v1\.35\./);
    expect(out).toContain(`✓ kubectl: kubectl ${server}, cluster ${server}`);
    // No minikube or Docker check runs on an existing context.
    expect(out).not.toMatch(/^[✓✗!] (minikube|docker)/m);
  });

  it("a config change prunes exactly what is no longer rendered; PVCs and the Namespace stay", async () => {
    failIfNot(await up(), 0);
    const before = labObjects();
    failIfNot(await up("--set", "probe.enabled=false"), 0);
    const after = labObjects();
    expect(Object.keys(before).filter((k) => !(k in after))).toEqual(["ConfigMap/anka-lab-probe"]);
    expect(Object.keys(after).filter((k) => k.startsWith("PersistentVolumeClaim/"))).toHaveLength(4);
    expect(getJson("namespace", namespace).status.phase).toBe("Active");
    // The probe's container is gone from the pods' template too.
    const containers = getJson("deployment", "anka-build-cloud", "-n", namespace).spec.template.spec.containers.map((c: any) => c.name);
    expect(containers).toEqual(["controller", "registry"]);
  });

  it("lab:up prunes a repro Ingress a crashed scenario left behind, and nothing else", async () => {
    failIfNot(await up(), 0);
    const ctx = labContext();
    await applyReproIngress(ctx, { "nginx.ingress.kubernetes.io/proxy-body-size": "1m" });
    expect(getJson("ingress", "anka-lab-repro", "-n", namespace).metadata.name).toBe("anka-lab-repro");
    const before = labObjects();
    failIfNot(await up(), 0);
    const after = labObjects();
    expect(Object.keys(before).filter((k) => !(k in after))).toEqual(["Ingress/anka-lab-repro"]);
    for (const [k, rv] of Object.entries(after)) expect(before[k], k).toBe(rv);
  });

  it("lab:status --json tells the truth about what is there and what is not", async () => {
    failIfNot(await up(), 0);
    lab.io.stdout.length = 0;
    failIfNot(await status("--json"), 0);
    const report = JSON.parse(lab.io.stdout.join("\n"));
    expect(report).toMatchObject({ context: CONTEXT, namespace, healthy: true, health: { etcd: { ok: true, detail: "3/3 members healthy" } } });
    expect(report.components.map((c: any) => [c.name, c.ready, c.pods.length])).toEqual([["etcd", 3, 3], ["anka-build-cloud", 2, 2]]);
    expect(report.cluster).toBeUndefined();

    // Take the build-cloud Deployment away behind the lab's back: status must say so.
    kubectl("delete", "deployment", "anka-build-cloud", "-n", namespace, "--wait=true");
    lab.io.stdout.length = 0;
    expect(await status("--json")).toBe(1);
    const broken = JSON.parse(lab.io.stdout.join("\n"));
    expect(broken.healthy).toBe(false);
    expect(broken.components.find((c: any) => c.name === "anka-build-cloud")).toMatchObject({ ready: 0, desired: 2 });
  });

  it("lab:down keeps PVCs and the Namespace; --purge removes them and the Namespace terminates", async () => {
    failIfNot(await up(), 0);
    failIfNot(await down(), 0);
    const kept = Object.keys(labObjects());
    expect(kept).toEqual(["PersistentVolumeClaim/anka-registry-data", "PersistentVolumeClaim/data-etcd-0", "PersistentVolumeClaim/data-etcd-1", "PersistentVolumeClaim/data-etcd-2"]);
    failIfNot(await down(), 0);
    failIfNot(await down("--purge", "--yes"), 0);
    expect((await api(controlPlane(), "GET", `/api/v1/namespaces/${namespace}`)).status).toBe(404);
  });

  /** A LabContext as lab:up builds it for this test's namespace and context. */
  function labContext(): LabContext {
    const { config } = loadConfig({ env: { ...lab.io.env }, flags: { context: CONTEXT } });
    // The harness's own folder: its state dir is <dir>/.lab and its hosts file <dir>/hosts.
    return testContext(config, runner, { waits: { timeoutMs: 30_000, intervalMs: 200 }, dir: dirname(lab.stateDir) });
  }
  function tools(ctx: LabContext): ReproTools {
    return {
      ctx,
      options: { size: 1024, idleSeconds: 1, memoryLimit: "256Mi" },
      push: async () => {
        throw new Error("no push in the control-plane tier");
      },
      httpOk: async () => true,
      log: () => undefined,
      memo: {},
    };
  }
  /** The lab's objects' specs (and annotations, labels), for field-by-field comparison. */
  const specs = () =>
    getJson("services,configmaps,statefulsets.apps,deployments.apps,ingresses.networking.k8s.io,poddisruptionbudgets.policy", "-n", namespace, "-l", "app.kubernetes.io/part-of=anka-lab")
      .items.map((o: any) => ({ ref: `${o.kind}/${o.metadata.name}`, labels: o.metadata.labels, annotations: withoutControllerNotes(o.metadata.annotations), spec: withoutAllocated(o.spec), data: o.data }))
      .sort((a: any, b: any) => a.ref.localeCompare(b.ref));
  const withoutControllerNotes = (a: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k !== "deployment.kubernetes.io/revision"));
  const withoutAllocated = (spec: any) => spec && { ...spec, clusterIP: undefined, clusterIPs: undefined, healthCheckNodePort: undefined, ports: spec.ports?.map((p: any) => ({ ...p, nodePort: undefined })) };

  it("registry-memory-limit --keep, then lab:up, leaves no memory limit", async () => {
    failIfNot(await up(), 0);
    const made = specs();
    const ctx = labContext();
    await memoryLimit.setup(tools(ctx));
    const limits = () => getJson("deployment", "anka-build-cloud", "-n", namespace).spec.template.spec.containers.map((c: any) => [c.name, c.resources?.limits?.memory]);
    expect(limits()).toEqual([["controller", undefined], ["registry", "256Mi"], ["probe", "256Mi"]]);
    failIfNot(await up(), 0);
    expect(limits()).toEqual([["controller", undefined], ["registry", undefined], ["probe", undefined]]);
    expect(specs()).toEqual(made);
  });

  it("each repro scenario's setup and restore leave the lab objects exactly as lab:up makes them", async () => {
    failIfNot(await up(), 0);
    const made = specs();
    const ctx = labContext();
    for (const scenario of [memoryLimit, etcdQuorum]) {
      const t = tools(ctx);
      await scenario.setup(t);
      await scenario.restore(t);
      expect(specs(), scenario.name).toEqual(made);
    }
    // etcd scaled by hand (another field manager), then lab:up takes the replicas back.
    kubectl("scale", "statefulset", "etcd", "-n", namespace, "--replicas=1");
    failIfNot(await up(), 0);
    expect(specs()).toEqual(made);
  }, 180_000);
});
