import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { downCommand, downSpec } from "../lab/commands/down.js";
import { statusCommand, statusSpec } from "../lab/commands/status.js";
import { upCommand, upSpec } from "../lab/commands/up.js";
import type { CommandDeps } from "../lab/commands/common.js";
import { controlPlaneAvailable, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { isMutating } from "./support/fakeRunner.js";
import { ankaStubs, harness, printLabStderrOnFailure, type AnkaStubs, type Harness } from "./support/lab.js";

/**
 * lab:up, lab:down and lab:status on the minikube path: minikube, Docker and sudo are played
 * (test/support/fakeCluster.ts); kubectl is real, against a real control plane (test/cluster/).
 */
const available = controlPlaneAvailable("test/lifecycle.cluster!.test.ts");

let stubs: AnkaStubs;
let cluster: FakeCluster | undefined;
let lab: Harness;
let namespace: string;
/** Claims the played storage provisioner leaves Pending, as one that cannot provision would. */
let heldClaims: string | undefined;
const controlPlane = available
  ? useControlPlane({ loadBalancers: () => cluster?.tunnel.forwarding ?? false, holdClaims: (ns) => ns === heldClaims })
  : () => {
      throw new Error("no control plane");
    };
const WAITS = { timeoutMs: 60_000, intervalMs: 200 };
const SHORT_WAITS = { timeoutMs: 3000, intervalMs: 200 };

function newHarness(overrides: Partial<CommandDeps> = {}): Harness {
  return harness(cluster!, stubs, { waits: WAITS, ...overrides }, { ANKA_LAB_NAMESPACE: namespace });
}

beforeAll(async () => {
  stubs = await ankaStubs();
});
afterAll(async () => {
  await stubs?.close();
});
beforeEach(async ({ onTestFailed }) => {
  if (!available) return;
  printLabStderrOnFailure(onTestFailed, () => lab);
  namespace = uniqueNamespace();
  heldClaims = undefined;
  cluster = new FakeCluster({ controlPlane: controlPlane(), kubeconfig: testKubeconfig(controlPlane()) });
  // The played tunnel's forwards are the stubs' listeners: nothing answers until a tunnel runs.
  await stubs.setForwarding(false);
  cluster.tunnel.onForwards = (on) => stubs.setForwarding(on);
  lab = newHarness();
});

const up = (...argv: string[]) => lab.run(upSpec, upCommand, ...argv);
const down = (...argv: string[]) => lab.run(downSpec, downCommand, ...argv);
const status = (...argv: string[]) => lab.run(statusSpec, statusCommand, ...argv);
const mutations = (from = 0) => cluster!.runner.calls.slice(from).filter(isMutating).map((c) => c.argv.slice(0, 4).join(" "));

/** Names of the lab objects of one resource in this test's namespace, from the real API server. */
const names = (resource: string): string[] =>
  JSON.parse(execFileSync("kubectl", ["--context", "anka-lab", "get", resource, "-n", namespace, "-o", "json"], { encoding: "utf8" }))
    .items.map((o: any) => o.metadata.name)
    .sort();
const lbAddress = (service: string): string | undefined =>
  JSON.parse(execFileSync("kubectl", ["--context", "anka-lab", "get", "service", service, "-n", namespace, "-o", "json"], { encoding: "utf8" })).status?.loadBalancer?.ingress?.[0]?.ip;
const namespaceExists = () => {
  try {
    execFileSync("kubectl", ["--context", "anka-lab", "get", "namespace", namespace], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!available)("lab:up", () => {
  it("brings a lab up from nothing and says where everything is", async () => {
    expect(await up()).toBe(0);
    const start = cluster!.runner.callsOf("minikube", "start")[0]!.argv;
    expect(start).toEqual([
      "minikube", "start", "-p", "anka-lab", "--driver=docker", "--cpus=4", "--memory=6144m", "--disk-size=40960mb",
      "--kubernetes-version=v1.35.1", "--container-runtime=docker", "--ports=127.0.0.1:8080:80", "--keep-context",
    ]);
    expect(cluster!.runner.callsOf("minikube", "addons", "enable", "ingress")).toHaveLength(1);
    expect(cluster!.runner.calls.filter((c) => c.detached).map((c) => c.argv)).toEqual([["minikube", "tunnel", "-p", "anka-lab"]]);
    const apply = cluster!.runner.callsOf("kubectl", "--context", "anka-lab", "apply")[0]!;
    expect(apply.argv).toEqual(["kubectl", "--context", "anka-lab", "apply", "--server-side", "--field-manager=anka-lab", "--force-conflicts", "-f", "-"]);
    expect(names("statefulsets")).toEqual(["etcd"]);
    expect(names("deployments")).toEqual(["anka-build-cloud"]);
    expect(cluster!.context()).toEqual({ namespace });
    const summary = lab.io.stdout.join("\n");
    expect(summary).toContain(`http://127.0.0.1:${stubs.controllerPort}`);
    expect(summary).toContain(`http://127.0.0.1:${stubs.registryPort}`);
    expect(summary).toContain("npm run lab:down");
    const state = lab.state.read();
    expect(state.finishedAt).toBeDefined();
    expect(Object.values(state.steps).every((s) => s === "done" || s === "skipped")).toBe(true);
    // Not asked and no terminal: /etc/hosts untouched.
    expect(lab.hosts()).not.toContain("anka-lab");
  });

  it("changes nothing but a no-op apply when run again", async () => {
    expect(await up()).toBe(0);
    const before = cluster!.runner.calls.length;
    expect(await up()).toBe(0);
    expect(mutations(before)).toEqual(["kubectl --context anka-lab apply"]);
    expect(cluster!.runner.callsOf("minikube", "start")).toHaveLength(1);
  });

  it("carries on after a half-finished run", async () => {
    heldClaims = namespace;
    lab.deps = { ...lab.deps, waits: SHORT_WAITS };
    expect(await up()).toBe(1);
    expect(lab.state.read()).toMatchObject({ stoppedAt: "wait-etcd", steps: { cluster: "done", apply: "done", "wait-etcd": "failed" } });
    heldClaims = undefined;
    lab.deps = { ...lab.deps, waits: WAITS };
    const before = cluster!.runner.calls.length;
    expect(await up()).toBe(0);
    expect(mutations(before)).toEqual(["kubectl --context anka-lab apply"]);
    expect(lab.state.read().stoppedAt).toBeUndefined();
  });

  it("refuses bad config in one line per problem before running any command", async () => {
    expect(await up("--set", "registry.port=99999", "--namespace", "Bad_NS")).toBe(2);
    expect(lab.io.stderr[0]).toBe("anka-lab: the lab config has 2 problem(s):");
    expect(cluster!.runner.calls).toEqual([]);
  });

  it("stops before changing anything when Docker is not running", async () => {
    cluster!.dockerRunning = false;
    expect(await up()).toBe(1);
    expect(mutations()).toEqual([]);
    expect(lab.io.stderr.join("\n")).toMatch(/docker daemon: Docker daemon not reachable: Cannot connect to the Docker daemon[\s\S]*fix: start Docker Desktop/);
  });

  it("stops before changing anything when minikube is missing, and says how to install it", async () => {
    cluster!.minikubeInstalled = false;
    expect(await up()).toBe(1);
    expect(mutations()).toEqual([]);
    expect(lab.io.stderr.join("\n")).toMatch(/minikube: minikube is not installed\s+fix: brew install minikube/);
  });

  it("reports a failed command with the pasteable command, its exit code and output, and records the step", async () => {
    // What the API server answers while ingress-nginx's admission webhook is not Ready (minikube #13799).
    cluster!.runner.failWhen((argv) => argv[3] === "apply", {
      exitCode: 1,
      stderr:
        'Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "validate.nginx.ingress.kubernetes.io": failed to call webhook: Post "https://ingress-nginx-controller-admission.ingress-nginx.svc:443/networking/v1/ingresses?timeout=10s": dial tcp 10.96.31.7:443: connect: connection refused\n',
    }, 1);
    expect(await up()).toBe(1);
    const err = lab.io.stderr.join("\n");
    expect(err).toContain("anka-lab: failed: kubectl --context anka-lab apply --server-side --field-manager=anka-lab --force-conflicts -f -");
    expect(err).toContain("exit code 1");
    expect(err).toContain('failed calling webhook "validate.nginx.ingress.kubernetes.io"');
    expect(err).toContain("next: see the kubectl output above");
    expect(lab.state.read()).toMatchObject({ stoppedAt: "apply", steps: { apply: "failed" } });
    // The failure was scripted once: the next run applies and finishes.
    expect(await up()).toBe(0);
  });

  it("prints a diagnosis when a pod never becomes Ready", async () => {
    // No volume for the claims: the real scheduler leaves the pods Pending and says why in an event.
    heldClaims = namespace;
    lab.deps = { ...lab.deps, waits: SHORT_WAITS };
    expect(await up()).toBe(1);
    const err = lab.io.stderr.join("\n");
    expect(err).toContain("timed out after 3 s waiting for all 3 etcd members healthy: 0/3 etcd pods Ready");
    expect(err).toMatch(/pod etcd-0: Pending, not ready, 0 restart\(s\)/);
    expect(err).toMatch(/condition PodScheduled=False Unschedulable: .*unbound immediate PersistentVolumeClaims/);
    expect(err).toMatch(/event Warning FailedScheduling: .*unbound immediate PersistentVolumeClaims/);
    expect(err).toMatch(/likely cause:\n\s+- pending volume claim: the StorageClass standard has no working provisioner/);
    expect(err).toContain(`next: kubectl --context anka-lab -n ${namespace} describe pods -l app.kubernetes.io/name=etcd,app.kubernetes.io/part-of=anka-lab`);
  });

  it("restarts a tunnel that died, and lab:status shows it dead until then", async () => {
    expect(await up()).toBe(0);
    expect(await status()).toBe(0);
    cluster!.tunnel.kill();
    // Killed, minikube's tunnel runs no cleanup: the LoadBalancer keeps 127.0.0.1 (C5), and only the
    // tunnel check tells the lab it is gone.
    expect(lbAddress("anka-controller")).toBe("127.0.0.1");
    lab.io.stdout.length = 0;
    expect(await status()).toBe(1);
    expect(lab.io.stdout.join("\n")).toMatch(/✗ tunnel: pid \d+ has exited/);
    const before = cluster!.runner.calls.length;
    expect(await up()).toBe(0);
    expect(cluster!.runner.calls.slice(before).filter((c) => c.detached)).toHaveLength(1);
    expect(await status()).toBe(0);
    // The new tunnel found the lab's Ingresses: minikube's own lines about them are in the log (C6).
    expect(readFileSync(join(lab.stateDir, "tunnel.log"), "utf8")).toContain(
      "❗  The service/ingress anka-controller requires privileged ports to be exposed: [80 443]\n🔑  sudo permission will be asked for it.",
    );
  });

  it("stops cleanly on Ctrl-C: no orphan tunnel, the state says where, and the next run carries on", async () => {
    const controller = new AbortController();
    lab = newHarness({ signal: controller.signal });
    cluster!.onKubectl = (verb) => {
      if (verb === "apply") controller.abort(new Error("interrupted"));
    };
    expect(await up()).toBe(130);
    expect(lab.io.stderr.join("\n")).toContain(`interrupted (Ctrl-C) during "wait-etcd"; ${join(lab.stateDir, "state.json")} records it; next: npm run lab:up carries on from there`);
    expect(lab.state.read()).toMatchObject({ stoppedAt: "wait-etcd", stoppedBecause: "interrupted (Ctrl-C)" });
    expect(cluster!.tunnel.alive).toBe(false);
    // The undo of the tunnel step, which started it in this run, said before the stop line.
    expect(lab.io.stderr).toContain("undone: minikube tunnel");
    expect(cluster!.runner.signals.map((s) => s.signal)).toEqual(["SIGINT"]);
    cluster!.onKubectl = undefined;
    lab = newHarness();
    lab.io.stderr.length = 0;
    expect(await up()).toBe(0);
    expect(cluster!.runner.callsOf("minikube", "start")).toHaveLength(1);
  });

  it("writes /etc/hosts through sudo only with --hosts, in a marked block with a backup", async () => {
    expect(await up("--hosts")).toBe(0);
    expect(lab.hosts()).toBe(
      "127.0.0.1 localhost\n255.255.255.255 broadcasthost\n# >>> anka-lab anka-lab >>>\n127.0.0.1 anka.controller anka.registry\n# <<< anka-lab anka-lab <<<\n",
    );
    // Staged beside the file, then swapped in by one rename; the backup is a timestamped copy in the state folder.
    const temp = `${dirname(lab.hostsFile)}/.hosts.anka-lab-next`;
    expect(cluster!.runner.calls.filter((c) => c.argv[0] === "sudo" && c.argv[1] !== "-n").map((c) => c.argv.slice(1))).toEqual([
      ["cp", `${lab.stateDir}/hosts.next`, temp],
      ["chmod", "644", temp],
      ["mv", "-f", temp, lab.hostsFile],
    ]);
    expect(cluster!.runner.callsOf("sudo", "cp")[0]!.options?.interactive).toBe(true);
    expect(readdirSync(lab.stateDir).filter((f) => f.startsWith("hosts.backup."))).toHaveLength(1);
    const before = cluster!.runner.calls.length;
    expect(await up("--hosts")).toBe(0);
    expect(cluster!.runner.calls.slice(before).filter((c) => c.argv[0] === "sudo" && c.argv[1] === "cp")).toEqual([]);
  });

  it("prints the plan with --dry-run and changes nothing", async () => {
    expect(await up("--dry-run")).toBe(0);
    expect(mutations()).toEqual([]);
    const plan = lab.io.stdout
      .join("\n")
      .replaceAll(lab.stateDir, "<state>")
      .replaceAll(lab.hostsFile, "<hosts>")
      .replaceAll(dirname(lab.hostsFile), "<dir>")
      .replaceAll(namespace, "<namespace>");
    expect(plan).toMatchInlineSnapshot(`
      "Plan (--dry-run; nothing was changed):
        1. minikube start -p anka-lab --driver=docker --cpus=4 --memory=6144m --disk-size=40960mb --kubernetes-version=v1.35.1 --container-runtime=docker --ports=127.0.0.1:8080:80 --keep-context
        2. kubectl config set-context anka-lab --namespace=<namespace>
        3. minikube addons enable ingress -p anka-lab
        4. wait for pods -n ingress-nginx -l app.kubernetes.io/component=controller to be Ready
        5. minikube tunnel -p anka-lab > <state>/tunnel.log 2>&1 &   (detached; pid, start time and command in <state>/tunnel.json)
        6. generate the probe's token into <state>/probe-token (mode 0600) and Secret <namespace>/anka-lab-probe-token
        7. kubectl --context anka-lab apply --server-side --field-manager=anka-lab --force-conflicts -f - < (rendered manifests)
        8. wait for all 3 etcd members healthy
        9. wait for 2 build-cloud pods Ready
        10. wait for LoadBalancer addresses for the controller and registry
        11. wait for the controller and registry status endpoints through their LoadBalancers
        12. with --hosts or a yes at the prompt: sudo cp <state>/hosts.next <dir>/.hosts.anka-lab-next
        13. with --hosts or a yes at the prompt: sudo chmod 644 <dir>/.hosts.anka-lab-next
        14. with --hosts or a yes at the prompt: sudo mv -f <dir>/.hosts.anka-lab-next <hosts>"
    `);
  });

  it("still plans with --dry-run before minikube is installed, naming where a real run would stop", async () => {
    cluster!.minikubeInstalled = false;
    expect(await up("--dry-run")).toBe(0);
    expect(mutations()).toEqual([]);
    const plan = lab.io.stdout.join("\n");
    expect(plan).toContain("1. preflight would stop a real run: minikube: minikube is not installed (fix: brew install minikube (or brew bundle in this repo))");
    expect(plan).toContain("2. minikube start -p anka-lab --driver=docker");
    expect(plan).toContain("wait for the controller and registry status endpoints through their LoadBalancers");
  });
});

describe.skipIf(!available)("lab:down", () => {
  it("keeps the data without --purge, and is safe to run twice", async () => {
    await up("--hosts");
    expect(await down()).toBe(0);
    expect(cluster!.tunnel.alive).toBe(false);
    expect(names("deployments")).toEqual([]);
    expect(names("statefulsets")).toEqual([]);
    expect(names("persistentvolumeclaims")).toEqual(["anka-registry-data", "data-etcd-0", "data-etcd-1", "data-etcd-2"]);
    expect(namespaceExists()).toBe(true);
    expect(lab.hosts()).not.toContain("anka-lab");
    expect(await down()).toBe(0);
    expect(names("persistentvolumeclaims")).toHaveLength(4);
  });

  it("deletes the data with --purge --yes, and refuses --purge without a terminal to ask on", async () => {
    await up();
    expect(await down("--purge")).toBe(2);
    expect(lab.io.stderr.join("\n")).toContain(`--purge deletes the registry's templates and etcd's data in namespace ${namespace}; add --yes`);
    expect(names("deployments")).toEqual(["anka-build-cloud"]);
    expect(await down("--purge", "--yes")).toBe(0);
    expect(namespaceExists()).toBe(false);
  });

  it("asks before --purge on a terminal and deletes nothing on no", async () => {
    await up();
    const questions: string[] = [];
    lab = newHarness({ interactive: true, confirm: async (q) => (questions.push(q), false) });
    expect(await down("--purge")).toBe(1);
    expect(questions[0]).toContain(`Delete the registry's templates and etcd's data in namespace ${namespace}?`);
    expect(names("persistentvolumeclaims")).toHaveLength(4);
  });

  it("is safe when nothing is up", async () => {
    expect(await down()).toBe(0);
    expect(mutations()).toEqual([]);
  });

  it("deletes the cluster only together with --purge", async () => {
    await up();
    expect(await down("--delete-cluster")).toBe(2);
    expect(cluster!.profile).toBeDefined();
    expect(await down("--delete-cluster", "--purge", "--yes")).toBe(0);
    expect(cluster!.profile).toBeUndefined();
  });
});

describe.skipIf(!available)("lab:status", () => {
  it("reports JSON for scripts", async () => {
    await up();
    lab.io.stdout.length = 0;
    expect(await status("--json")).toBe(0);
    const report = JSON.parse(lab.io.stdout.join("\n"));
    expect(report).toMatchObject({
      context: "anka-lab",
      namespace,
      cluster: { kind: "running" },
      tunnel: { running: true },
      healthy: true,
      health: { controller: { ok: true }, registry: { ok: true }, etcd: { ok: true, detail: "3/3 members healthy" } },
      problems: [],
    });
    expect(report.components.map((c: any) => [c.name, c.ready, c.pods.length])).toEqual([["etcd", 3, 3], ["anka-build-cloud", 2, 2]]);
  });

  it("says the lab is not up when there is no profile", async () => {
    expect(await status()).toBe(1);
    expect(lab.io.stdout.join("\n")).toContain("✗ minikube profile: missing");
  });

  it("prints one table: profile, tunnel, components with their pods, endpoints, health, then the verdict", async () => {
    expect(await up()).toBe(0);
    lab.io.stdout.length = 0;
    expect(await status()).toBe(0);
    const [header, ...rest] = lab.io.stdout.join("\n").split("\n");
    expect(header).toBe(`context anka-lab, namespace ${namespace}`);
    const table = rest.join("\n");
    expect(table).toMatch(/^✓ minikube profile: running$/m);
    expect(table).toMatch(/^✓ tunnel: running, pid \d+, forwards answer/m);
    expect(table).toMatch(/^✓ etcd: 3\/3 ready\n {4}etcd-0 {2}Running, ready, 0 restart\(s\)\n {4}etcd-1 {2}Running, ready, 0 restart\(s\)\n {4}etcd-2 {2}Running, ready, 0 restart\(s\)$/m);
    expect(table).toMatch(/^✓ anka-build-cloud: 2\/2 ready\n {4}anka-build-cloud-\S+ {2}Running, ready, 0 restart\(s\)\n {4}anka-build-cloud-\S+ {2}Running, ready, 0 restart\(s\)$/m);
    expect(table).toContain(`\n  controller: http://127.0.0.1:${stubs.controllerPort}\n  registry: http://127.0.0.1:${stubs.registryPort}\n  ingress: http://anka.registry:8080\n`);
    expect(table).toMatch(/^✓ controller health: .*200 OK/m);
    expect(table).toMatch(/^✓ etcd health: 3\/3 members healthy$/m);
    expect(rest.at(-1)).toBe("The lab is healthy.");
  });

  it("shows a part it could not read as a ✗ row with the error, unhealthy, and still reads the rest", async () => {
    expect(await up()).toBe(0);
    cluster!.onKubectl = (verb, argv) => {
      if (verb === "get" && argv.includes("statefulset")) throw new Error("kubectl get broke: the server is currently unable to handle the request");
    };
    lab.io.stdout.length = 0;
    expect(await status()).toBe(1);
    const out = lab.io.stdout.join("\n");
    expect(out).toMatch(/^✗ etcd: kubectl get broke: the server is currently unable to handle the request$/m);
    expect(out).toMatch(/^✓ anka-build-cloud: 2\/2 ready$/m);
    expect(out).toMatch(/^✓ controller health: /m);
    expect(lab.io.stdout.at(-1)).toMatch(/^The lab is not healthy: /m);

    lab.io.stdout.length = 0;
    expect(await status("--json")).toBe(1);
    const report = JSON.parse(lab.io.stdout.join("\n"));
    expect(report.healthy).toBe(false);
    expect(report.problems).toEqual([{ name: "etcd", detail: "kubectl get broke: the server is currently unable to handle the request" }]);
    expect(report.components.map((c: any) => c.name)).toEqual(["anka-build-cloud"]);
  });
});

/** What a run drew on stderr with the plain renderer (step outputs and skips). */
async function withStepLines(run: () => Promise<number>): Promise<{ code: number; lines: string }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
  lab.deps = { ...lab.deps, renderer: "simple" };
  try {
    return { code: await run(), lines: written.join("") };
  } finally {
    spy.mockRestore();
  }
}

describe.skipIf(!available)("the tunnel, as minikube's really behaves", () => {
  it("restarts a tunnel that outlived a Docker Desktop restart: alive, but forwarding nothing (B1)", async () => {
    expect(await up()).toBe(0);
    const first = cluster!.runner.calls.filter((c) => c.detached).length;
    const oldPid = lab.state.tunnel()!.pid!;
    cluster!.dockerDesktopRestarted();
    // The node is stopped; the LoadBalancers keep 127.0.0.1 (no SIGINT cleanup); the tunnel lives on.
    expect(cluster!.runner.isAlive(oldPid)).toBe(true);
    expect(await up()).toBe(0);
    expect(cluster!.runner.callsOf("minikube", "start")).toHaveLength(2);
    expect(cluster!.runner.signals).toContainEqual({ pid: oldPid, signal: "SIGINT" });
    expect(cluster!.runner.calls.filter((c) => c.detached).length).toBe(first + 1);
    lab.io.stdout.length = 0;
    expect(await status()).toBe(0);
    expect(lab.io.stdout.join("\n")).toMatch(/✓ tunnel: running, pid \d+, forwards answer/);
  });

  it("lab:status calls a live but stale tunnel what it is", async () => {
    expect(await up()).toBe(0);
    cluster!.dockerDesktopRestarted();
    await cluster!.runner.run(["minikube", "start", "-p", "anka-lab"]);
    lab.io.stdout.length = 0;
    expect(await status()).toBe(1);
    expect(lab.io.stdout.join("\n")).toMatch(/✗ tunnel: pid \d+ is alive but 127\.0\.0\.1:\d+ \(controller\.port\) refuses connections: a stale tunnel/);
  });

  it("never trusts or signals a pid that another program holds after a reboot (B2)", async () => {
    expect(await up()).toBe(0);
    const pid = cluster!.tunnel.rebootReusesPid();
    lab.io.stdout.length = 0;
    expect(await status()).toBe(1);
    expect(lab.io.stdout.join("\n")).toMatch(new RegExp(`✗ tunnel: pid ${pid} now belongs to another process \\(/System/Library/CoreServices/Spotlight`));
    const signalled = cluster!.runner.signals.length;
    expect(await down()).toBe(0);
    expect(cluster!.runner.signals.slice(signalled)).toEqual([]);
    expect(cluster!.runner.isAlive(pid)).toBe(true);
    expect(await up()).toBe(0);
    expect(lab.state.tunnel()!.pid).not.toBe(pid);
  });

  it("adopts a tunnel the user started instead of respawning one that exits 111 (B3)", async () => {
    const userPid = cluster!.tunnel.userStarts();
    expect(await up()).toBe(0);
    expect(cluster!.runner.calls.filter((c) => c.detached)).toEqual([]);
    expect(lab.state.tunnel()).toMatchObject({ pid: userPid, adopted: true });
    lab.io.stdout.length = 0;
    expect(await status()).toBe(0);
    expect(lab.io.stdout.join("\n")).toMatch(new RegExp(`✓ tunnel: running, pid ${userPid}, started outside the lab, forwards answer`));
    expect(await down()).toBe(0);
    expect(cluster!.runner.signals).toEqual([]);
    expect(cluster!.runner.isAlive(userPid)).toBe(true);
  });

  it("adopts the lock holder when its own tunnel exits with TUNNEL_ALREADY_RUNNING", async () => {
    expect(await up()).toBe(0);
    const pid = lab.state.tunnel()!.pid!;
    // The record is lost (a fresh checkout's .lab/): the running tunnel is found by its command line.
    lab.state.setTunnel(undefined);
    expect(await up()).toBe(0);
    expect(lab.state.tunnel()).toMatchObject({ pid, adopted: true });
  });

  it("stops the tunnel with SIGINT, on which minikube takes 127.0.0.1 off the LoadBalancers (C5)", async () => {
    expect(await up()).toBe(0);
    expect(lbAddress("anka-controller")).toBe("127.0.0.1");
    const { stopTunnel } = await import("../lab/tools/tunnel.js");
    const { createContext } = await import("../lab/commands/common.js");
    const ctx = createContext({ values: {}, positionals: [] } as never, lab.io, lab.deps, { waits: WAITS });
    expect(await stopTunnel(ctx)).toBe("stopped");
    expect(lbAddress("anka-controller")).toBeUndefined();
  });

  it("kills the tunnel's whole process group when SIGINT does not end it (C12)", async () => {
    expect(await up()).toBe(0);
    const pid = lab.state.tunnel()!.pid!;
    cluster!.tunnel.hangsOnSigint = true;
    lab.deps = { ...lab.deps, waits: SHORT_WAITS };
    expect(await down()).toBe(0);
    expect(cluster!.runner.signals).toEqual([{ pid, signal: "SIGINT" }, { pid, signal: "SIGKILL", group: true }]);
    expect(cluster!.tunnel.alive).toBe(false);
  });
});

describe.skipIf(!available)("minikube profiles, as minikube really starts them", () => {
  it("starts a stopped profile, comparing its settings before the start rewrites them (B7)", async () => {
    expect(await up()).toBe(0);
    await cluster!.runner.run(["minikube", "stop", "-p", "anka-lab"]);
    // A profile made by an older lab config, with another ingress port published.
    cluster!.profile!.ports = ["127.0.0.1:9999:80"];
    cluster!.profile!.publishedPorts = ["127.0.0.1:9999:80"];
    const before = cluster!.runner.calls.length;
    const { code, lines } = await withStepLines(() => up());
    expect(code).toBe(0);
    const calls = cluster!.runner.calls.slice(before).map((c) => c.argv.slice(0, 3).join(" "));
    expect(calls.filter((c) => c === "minikube start -p")).toHaveLength(1);
    expect(calls.indexOf("minikube profile list")).toBeLessThan(calls.indexOf("minikube start -p"));
    expect(cluster!.runner.callsOf("minikube", "profile", "list").at(-1)!.argv).toEqual(["minikube", "profile", "list", "-o", "json", "--light"]);
    expect(lines).toMatch(/profile anka-lab is stopped; starting it \(it keeps its node as created: ingress port: profile publishes 127\.0\.0\.1:9999:80, config wants 127\.0\.0\.1:8080:80/);
    // What minikube did: the saved config now says 8080, the node still publishes 9999.
    expect(cluster!.profile).toMatchObject({ ports: ["127.0.0.1:8080:80"], publishedPorts: ["127.0.0.1:9999:80"], running: true });
  });

  it("reads the profile with --light, so another broken profile does not hide drift (C11)", async () => {
    expect(await up()).toBe(0);
    cluster!.brokenOtherProfile = true;
    cluster!.profile!.ports = [];
    const { code, lines } = await withStepLines(() => up());
    expect(code).toBe(0);
    expect(lines).toMatch(/profile anka-lab differs from the config: ingress port: profile publishes no ports/);
  });

  it("says Docker is down when minikube status prints null with exit 7 (C7)", async () => {
    expect(await up()).toBe(0);
    cluster!.dockerRunning = false;
    lab.io.stdout.length = 0;
    expect(await status()).toBe(1);
    expect(lab.io.stdout.join("\n")).toContain("✗ minikube profile: docker down (Docker is not running, so minikube cannot see the node: start Docker Desktop (open -a Docker))");
  });

  it("honours lab:up --timeout over the default waits", async () => {
    heldClaims = namespace;
    const started = Date.now();
    expect(await up("--timeout", "2")).toBe(1);
    expect(lab.io.stderr.join("\n")).toContain("timed out after 2 s waiting for all 3 etcd members healthy");
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe.skipIf(!available)("lab:down, telling the truth", () => {
  it("--purge removes the volumes' directories on the node, which the provisioner leaves after a restart (B5)", async () => {
    expect(await up()).toBe(0);
    const dirs = [`anka-registry-data`, `data-etcd-0`, `data-etcd-1`, `data-etcd-2`].map((c) => `/tmp/hostpath-provisioner/${namespace}/${c}`);
    expect((await cluster!.nodeDirectories()).filter((d) => d.includes(namespace))).toEqual(dirs);
    expect(await down("--purge", "--yes")).toBe(0);
    expect((await cluster!.nodeDirectories()).filter((d) => d.includes(namespace))).toEqual([]);
    const ssh = cluster!.runner.callsOf("minikube", "ssh").map((c) => c.argv.slice(5).join(" "));
    expect(ssh).toEqual(dirs.flatMap((d) => [`sudo rm -rf ${d}`, `sudo test -e ${d}`]));
    expect(lab.io.stdout.join("\n")).toContain("The lab is down and its data deleted.");
  });

  it("--purge checks each directory is gone after rm -rf, and says which stayed", async () => {
    expect(await up()).toBe(0);
    cluster!.nodeRecreatesDirs = true;
    expect(await down("--purge", "--yes")).toBe(1);
    expect(lab.io.stderr.join("\n")).toContain(`these volume directories are still on the node after rm -rf: /tmp/hostpath-provisioner/${namespace}/anka-registry-data`);
  });

  it("--purge on a stopped profile deletes nothing and says so, with how to delete it (B4)", async () => {
    expect(await up()).toBe(0);
    await cluster!.runner.run(["minikube", "stop", "-p", "anka-lab"]);
    expect(await down("--purge", "--yes")).toBe(1);
    const err = lab.io.stderr.join("\n");
    expect(err).toContain("--purge could not keep its promise: minikube profile anka-lab is stopped, so nothing was deleted");
    expect(err).toContain("To delete them: minikube start -p anka-lab && npm run lab:down -- --purge --yes");
    expect(lab.io.stdout.join("\n")).not.toContain("data deleted");
    expect((await cluster!.nodeDirectories()).filter((d) => d.includes(namespace))).toHaveLength(4);
  });

  it("has nothing to take down when minikube is not installed, with or without --dry-run", async () => {
    cluster!.minikubeInstalled = false;
    expect(await down()).toBe(0);
    expect(lab.io.stdout.join("\n")).toContain("Nothing to take down: minikube is not installed");
    expect(await down("--dry-run")).toBe(0);
    expect(await down("--purge", "--yes")).toBe(0);
    expect(mutations()).toEqual([]);
  });

  it("says in --help that the node keeps running, with its CPU and memory, unless --delete-cluster", async () => {
    expect(await down("--help")).toBe(0);
    expect(lab.io.stdout.join("\n").replace(/\s+/g, " ")).toContain(
      "The minikube node keeps running, and keeps holding its minikube.cpus CPUs and minikube.memory in Docker Desktop, unless --delete-cluster",
    );
  });
});
