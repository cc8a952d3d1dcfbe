import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smokeCommand, smokeSpec } from "../lab/commands/smoke.js";
import { upCommand, upSpec } from "../lab/commands/up.js";
import { startNginx, type Nginx } from "./support/nginx.js";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { execFileSync } from "node:child_process";
import { hasBinary, skipReason } from "./support/binaries.js";
import { controlPlaneAvailable, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { ankaStubs, harness, type AnkaStubs } from "./support/lab.js";

/**
 * lab:smoke on a lab brought up on the control-plane tier (real Kubernetes, played minikube),
 * with the data path real: the LoadBalancer's probe port is a real probe (from the rendered
 * ConfigMap) on 127.0.0.1, the Ingress is Debian's nginx configured like ingress-nginx in front of
 * it, and `kubectl exec … node -e` runs its program on the probe's volume, which both replicas share.
 */
const runnable = hasBinary("nginx");
if (!runnable) skipReason("lab:smoke over a real push path", "nginx", "on Debian: apt-get install nginx-light; on a Mac: brew install nginx");
const available = controlPlaneAvailable("test/smoke.test.ts");

describe.runIf(runnable && available)("lab:smoke", () => {
  let current: FakeCluster | undefined;
  const controlPlane = useControlPlane({ loadBalancers: () => current?.tunnel.alive ?? false });
  let stubs: AnkaStubs;
  let probe: RunningProbe;
  let ingress: Nginx;
  let defaultsIngress: Nginx;
  const volume = mkdtempSync(join(tmpdir(), "anka-lab-smoke-vol-"));

  beforeAll(async () => {
    stubs = await ankaStubs();
    probe = await startProbe({ volume, pod: "anka-build-cloud-7d9c8b6f5-ax0" });
    // Routing on Host, as an Ingress rule for anka.registry does: the push must send that Host.
    ingress = await startNginx("lab-annotations", probe.port, 3600, "anka.registry");
    defaultsIngress = await startNginx("ingress-defaults", probe.port, 3600, "anka.registry");
  });
  afterAll(async () => {
    await Promise.all([ingress?.stop(), defaultsIngress?.stop()]);
    await probe?.stop();
    await stubs?.close();
  });

  async function upLab(ingressUrl: string) {
    const namespace = uniqueNamespace();
    const cluster = new FakeCluster({ controlPlane: controlPlane(), kubeconfig: testKubeconfig(controlPlane()) });
    current = cluster;
    cluster.inPod!.podVolume = volume;
    const lab = harness(cluster, stubs, { waits: { timeoutMs: 60_000, intervalMs: 200 } }, { ANKA_LAB_NAMESPACE: namespace });
    const ports = ["--set", `probe.port=${probe.port}`, "--set", `ingress.port=${new URL(ingressUrl).port}`];
    expect(await lab.run(upSpec, upCommand, ...ports)).toBe(0);
    lab.io.stdout.length = 0;
    const pods: string[] = JSON.parse(
      execFileSync("kubectl", ["--context", "anka-lab", "get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=anka-build-cloud", "-o", "json"], { encoding: "utf8" }),
    ).items.map((p: any) => p.metadata.name).sort();
    // The probe behind the LoadBalancer answers as the first replica, as the pod would name itself.
    const port = probe.port;
    await probe.stop();
    probe = await startProbe({ volume, pod: pods[0], port });
    return { cluster, lab, ports, pods };
  }

  it("passes every check, pushing real bytes through the LoadBalancer and the Ingress", async () => {
    const { cluster, lab, ports, pods } = await upLab(ingress.url);
    expect(await lab.run(smokeSpec, smokeCommand, ...ports, "--size", "24Mi", "--seed", "5")).toBe(0);
    const table = lab.io.stdout.join("\n");
    expect(table).toMatch(/✓ controller status \(LoadBalancer\): http:\/\/127\.0\.0\.1:\d+\/api\/v1\/status: 200 OK \(version 1\.50\.0\)/);
    expect(table).toMatch(/✓ etcd quorum and put\/get: 3\/3 healthy; put via etcd-0, read via etcd-1/);
    expect(table).toMatch(new RegExp(`✓ registries share one volume: written in ${pods[0]}, read in ${pods[1]}`));
    expect(table).toMatch(new RegExp(`✓ push via LoadBalancer: [\\d.]+ MB/s, 4 files, stored by ${pods[0]}, sha256 verified on the other replica`));
    expect(table).toMatch(/✓ push via Ingress: [\d.]+ MB\/s, 4 files, stored by /);
    expect(table).toMatch(/^- anka registry push \(Anka CLI\): pass --anka-template NAME to push a real template with the Anka CLI$/m);
    expect(table).toContain("All HA checks passed (sample seed 5).");
    // The other replica really read the files: the sha256 programs ran in its probe container.
    const verifications = cluster.runner.calls.filter((c) => c.argv.some((a) => a.includes("createHash")));
    expect(verifications).toHaveLength(8);
    expect(verifications.every((c) => c.argv.includes(pods[1]!))).toBe(true);
    // Cleaned up: no sample files left without --keep, and the etcd key deleted.
    const files = join(volume, "anka-lab-probe", "files");
    expect(existsSync(files) ? readdirSync(files, { recursive: true }).filter((f) => String(f).endsWith(".ank")) : []).toEqual([]);
    expect(cluster.inPod!.etcdKeys.size).toBe(0);
  });

  it("fails the Ingress push with the 413 explanation when the Ingress lacks the annotations, and still runs the rest", async () => {
    const { lab, ports } = await upLab(defaultsIngress.url);
    expect(await lab.run(smokeSpec, smokeCommand, ...ports, "--size", "4Mi")).toBe(1);
    const table = lab.io.stdout.join("\n");
    expect(table).toMatch(/✓ push via LoadBalancer/);
    expect(table).toMatch(/✗ push via Ingress: images\/layer-0\.ank: 413 from nginx: the Ingress lacks proxy-body-size: "0"/);
    expect(table).toMatch(/- anka registry push/);
    expect(lab.io.stderr.join("\n")).toContain("anka-lab: 1 smoke check(s) failed: push via Ingress.");
  });

  it("counts a check that throws as a failed check, with its message", async () => {
    const { cluster, lab, ports } = await upLab(ingress.url);
    cluster.onKubectl = (verb, argv) => {
      if (verb === "exec" && argv.includes("etcdctl")) throw new Error("kubectl exec broke: connection refused");
    };
    expect(await lab.run(smokeSpec, smokeCommand, ...ports, "--size", "1Mi")).toBe(1);
    const table = lab.io.stdout.join("\n");
    expect(table).toMatch(/^✗ etcd quorum, put via one member and get via another: kubectl exec broke: connection refused$/m);
    // The throw stopped only its own check: the ones after it ran and passed.
    expect(table).toMatch(/^✓ registries share one volume: /m);
    expect(table).toMatch(/^✓ push via LoadBalancer: /m);
    expect(lab.io.stderr.at(-1)).toBe(
      "anka-lab: 1 smoke check(s) failed: etcd quorum, put via one member and get via another. npm run lab:status shows the lab's state.",
    );
    expect(table).not.toContain("All HA checks passed");

    // --json: one document, not ok, the thrown check among the checks with its message.
    lab.io.stdout.length = 0;
    expect(await lab.run(smokeSpec, smokeCommand, ...ports, "--size", "1Mi", "--json")).toBe(1);
    const report = JSON.parse(lab.io.stdout.join("\n"));
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual({ name: "etcd quorum, put via one member and get via another", ok: false, detail: "kubectl exec broke: connection refused" });
  });

  it("refuses a bad --size before touching anything", async () => {
    const { cluster, lab } = await upLab(ingress.url);
    const before = cluster.runner.calls.length;
    expect(await lab.run(smokeSpec, smokeCommand, "--size", "lots")).toBe(2);
    expect(lab.io.stderr).toEqual(["anka-lab: --size lots: use a size of at least 1Mi, e.g. 2Gi"]);
    expect(cluster.runner.calls.length).toBe(before);
  });
});

/** lab:smoke's own accounting, with the scripted cluster and no real push path. */
describe("lab:smoke reports truthfully", () => {
  let stubs: AnkaStubs;
  beforeAll(async () => {
    stubs = await ankaStubs();
  });
  afterAll(async () => stubs?.close());

  it("says in one line that the lab is not up, and runs no check", async () => {
    const cluster = new FakeCluster();
    const lab = harness(cluster, stubs);
    expect(await lab.run(smokeSpec, smokeCommand)).toBe(1);
    expect(lab.io.stderr).toEqual(["anka-lab: the lab is not up (minikube profile anka-lab: missing); start it with npm run lab:up"]);
    expect(lab.io.stdout).toEqual([]);
  });

});
