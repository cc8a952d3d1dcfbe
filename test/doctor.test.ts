import { execFile } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { doctorCommand, doctorSpec } from "../lab/commands/doctor.js";
import { kubectlSkewOk, minKubectlFor, versionAtLeast } from "../lab/checks/doctor.js";
import { hasBinary } from "./support/binaries.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { ankaStubs, harness, macHostFacts, type AnkaStubs } from "./support/lab.js";

let stubs: AnkaStubs;
beforeAll(async () => {
  stubs = await ankaStubs();
});
afterAll(async () => {
  await stubs.close();
});

async function doctor(cluster: FakeCluster, overrides = {}, ...argv: string[]) {
  const lab = harness(cluster, stubs, overrides);
  const code = await lab.run(doctorSpec, doctorCommand, ...argv);
  return { code, out: lab.io.stdout.join("\n"), err: lab.io.stderr.join("\n") };
}

describe("lab:doctor with a scripted Mac", () => {
  it("passes a ready Mac, warning about emulation and missing /etc/hosts entries", async () => {
    const { code, out } = await doctor(new FakeCluster());
    expect(code).toBe(0);
    expect(out).toContain("! platform: macOS on Apple Silicon: the Anka images are amd64-only and run emulated");
    expect(out).toContain("✓ minikube: minikube v1.38.1");
    expect(out).toContain("✓ docker daemon: Docker 28.3.2 (Docker Desktop)");
    expect(out).toContain("✓ memory: 6144 MB of Docker's 8192 MB");
    expect(out).toContain("! /etc/hosts: anka.controller anka.registry are not in");
  });

  it("fails on too old tools and too little Docker memory, each with its fix", async () => {
    const cluster = new FakeCluster();
    cluster.kubectlVersion = "v1.30.2";
    const { code, out, err } = await doctor(cluster, {}, "--set", "minikube.memory=16Gi");
    expect(code).toBe(1);
    expect(out).toContain("✗ kubectl: kubectl v1.30.2 is older than v1.34.0, too old for Kubernetes v1.35.1\n    fix: brew upgrade kubernetes-cli");
    expect(out).toContain("✗ memory: minikube.memory is 16384 MB but Docker allows 8192 MB");
    expect(err).toBe("anka-lab: 2 blocker(s): kubectl, memory. Fix them, then npm run lab:up.");
  });

  it("fails on a lab port that something else holds on 127.0.0.1, found for real", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const { realHostFacts } = await import("../lab/checks/doctor.js");
      const { code, out } = await doctor(new FakeCluster(), { hostFacts: { ...macHostFacts(), portFree: realHostFacts.portFree } }, "--set", `ingress.port=${port}`);
      expect(code).toBe(1);
      expect(out).toContain(`✗ port ${port}: 127.0.0.1:${port} is already in use (ingress.port)`);
      expect(out).toContain(`--set ingress.port=PORT`);
    } finally {
      server.close();
    }
  });

  it("checks the probe's LoadBalancer port too, which the tunnel forwards like the others (B8)", async () => {
    const { code, out } = await doctor(new FakeCluster(), { hostFacts: macHostFacts([8087]) });
    expect(code).toBe(1);
    expect(out).toContain("✗ port 8087: 127.0.0.1:8087 is already in use (probe.port)");
  });

  it("does not excuse a busy port because an old tunnel pid lives while the cluster is stopped (C14)", async () => {
    const cluster = new FakeCluster();
    const lab = harness(cluster, stubs, { hostFacts: macHostFacts([8080]) });
    const pid = cluster.runner.spawnProcess("minikube tunnel -p anka-lab");
    lab.state.setTunnel({ pid, profile: "anka-lab", startedAt: new Date().toISOString(), log: "" });
    expect(await lab.run(doctorSpec, doctorCommand)).toBe(1);
    expect(lab.io.stdout.join("\n")).toContain("✗ port 8080: 127.0.0.1:8080 is already in use (ingress.port)");
  });

  it("says the CPU and memory checks were skipped when Docker is down", async () => {
    const cluster = new FakeCluster();
    cluster.dockerRunning = false;
    const { out } = await doctor(cluster);
    expect(out).toContain("! cpus, memory: not checked: Docker is not reachable, so its CPUs and memory are unknown (minikube.cpus 4, minikube.memory 6144 MB)");
  });

  it("accepts memory up to all of Docker's, as minikube does for an explicit --memory (C8)", async () => {
    const { out } = await doctor(new FakeCluster(), {}, "--set", "minikube.memory=8Gi");
    expect(out).toContain("✓ memory: 8192 MB of Docker's 8192 MB");
  });

  it("reads sudo -n true as minikube's Mac does: exit 1 'a password is required' without cached credentials", async () => {
    const cluster = new FakeCluster();
    expect((await doctor(cluster)).out).toContain("✓ sudo: sudo will ask for your password, visibly, only when writing /etc/hosts (--hosts)");
    cluster.sudoCached = true;
    expect((await doctor(cluster)).out).toContain("✓ sudo: sudo works without a password prompt");
  });

  it("shows a check that throws as a blocker with its message, and still runs the checks after it", async () => {
    // statfs(2) of the home folder failing, as Node reports it (uv error: code, description, syscall, path).
    const facts = {
      ...macHostFacts(),
      freeDiskBytes: async () => {
        throw Object.assign(new Error("EACCES: permission denied, statfs '/Users/dev'"), { code: "EACCES", syscall: "statfs" });
      },
    };
    const { code, out, err } = await doctor(new FakeCluster(), { hostFacts: facts });
    expect(code).toBe(1);
    expect(out).toMatch(/^✗ disk: EACCES: permission denied, statfs '\/Users\/dev'$/m);
    expect(out).toMatch(/^✓ port 8080: /m);
    expect(out).toMatch(/^✓ sudo: /m);
    expect(err).toBe("anka-lab: 1 blocker(s): disk. Fix them, then npm run lab:up.");
    const json = await doctor(new FakeCluster(), { hostFacts: facts }, "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toContainEqual({ name: "disk", status: "fail", detail: "EACCES: permission denied, statfs '/Users/dev'" });
  });

  it("prints JSON with --json", async () => {
    const { out } = await doctor(new FakeCluster(), {}, "--json");
    const checks = JSON.parse(out) as { name: string; status: string }[];
    expect(checks.map((c) => c.name)).toEqual(expect.arrayContaining(["platform", "minikube", "kubectl", "docker", "docker daemon", "cpus", "memory", "disk", "/etc/hosts", "sudo"]));
  });
});

describe("versions", () => {
  it.each([
    ["v1.38.1", "1.38.1", true],
    ["v1.38.0", "1.38.1", false],
    ["v1.39.0-beta.0", "1.38.1", true],
    ["v1.32.4-dispatcher", "1.34.0", false],
    ["garbage", "1.0.0", false],
  ])("%s >= %s is %s", (have, want, result) => expect(versionAtLeast(have, want)).toBe(result));
  it("allows kubectl one minor behind the cluster", () => expect(minKubectlFor("v1.35.1")).toBe("1.34.0"));
  it.each([
    ["v1.35.4", "v1.35.4", true],
    ["v1.34.0", "v1.35.4", true],
    ["v1.36.1", "v1.35.4", true],
    ["v1.33.9", "v1.35.4", false],
    ["v1.37.0", "v1.35.4", false],
    ["v1.32.4-dispatcher", "v1.33.1-eks-1234", true],
  ])("kubectl %s against a %s server is within skew: %s", (client, server, result) => expect(kubectlSkewOk(client, server)).toBe(result));
});

// On a machine without minikube (our Linux CI), the real command must fail cleanly and name it.
describe.runIf(!hasBinary("minikube"))("lab:doctor on this machine, for real", () => {
  it("exits 1 and names minikube as missing", async () => {
    const root = join(import.meta.dirname, "..");
    const run = promisify(execFile)(process.execPath, [join(root, "bin", "anka-lab.mjs"), "doctor"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ANKA_LAB_STATE_DIR: join(root, ".lab-test") },
    });
    const error = await run.then(() => undefined, (e) => e as { code: number; stdout: string; stderr: string });
    expect(error?.code).toBe(1);
    expect(error!.stdout).toContain("✗ minikube: minikube is not installed\n    fix: brew install minikube");
    expect(error!.stderr).toMatch(/^anka-lab: \d blocker\(s\): minikube/);
  });
});
if (hasBinary("minikube")) console.warn('skipping "lab:doctor on this machine, for real": minikube is installed here, so it cannot be shown missing');
