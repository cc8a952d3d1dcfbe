import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { api } from "../cluster/api.js";
import { KWOK_STATUS_ANNOTATION, type ControlPlane } from "../cluster/controlPlane.js";
import { MINIKUBE_STORAGE_CLASS } from "../cluster/controllers.js";
import { inPodCommands, realKubectl } from "../cluster/fixture.js";
import { FakeRunner, type Answer } from "./fakeRunner.js";
import type { InPodCommands } from "./inPod.js";
import { PlayedTunnel } from "./playedTunnel.js";
import { sudoNonInteractive } from "./sudo.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/**
 * A Mac with minikube and Docker Desktop, played, in front of a real Kubernetes control plane
 * (test/cluster/): the runner answers minikube, docker and sudo as they do, the Mac's own
 * `kubectl version --client`, and the commands run inside pods (InPodCommands); every other kubectl
 * call runs the real kubectl against the real API server, through the kube context that the played
 * `minikube start` writes. Sources of the played answers:
 *  - minikube v1.38.1: status JSON and exit codes (minikube cmd/minikube/cmd/status.go: exit 7 when
 *    stopped, 85 for a missing profile), profile list and addons list JSON, "Tunnel successfully
 *    started" (pkg/minikube/tunnel/kic), version JSON (tilt-dev/ctlptl pkg/cluster/admin_minikube_test.go).
 *  - `minikube start` writes a context named after the profile into the kubeconfig
 *    (pkg/minikube/kubeconfig/kubeconfig.go, UpdateEndpoint) and, with --keep-context, leaves the
 *    current context alone; the default-storageclass addon makes StorageClass `standard`
 *    (deploy/addons/storageclass/storageclass.yaml). A stopped profile's API server refuses connections.
 *  - `minikube addons enable ingress` deploys the controller in namespace ingress-nginx with labels
 *    app.kubernetes.io/name=ingress-nginx, app.kubernetes.io/component=controller and IngressClass
 *    nginx (deploy/addons/ingress/ingress-deploy.yaml).
 *  - minikube tunnel: test/support/playedTunnel.ts, with its sources.
 *  - `minikube ssh -p P -- cmd` runs on the played node's filesystem, which holds a directory for
 *    each volume the hostpath provisioner made until something removes it (pkg/storage/
 *    storage_provisioner.go; the provisioner of an earlier minikube start never deletes them).
 *  - sudo: `sudo -n true` as test/support/sudo.ts answers it (the one model of it).
 *  - `kubectl version --client -o json` and `docker info` with the daemon down are captured outputs
 *    (test/fixtures/).
 */
interface Profile {
  running: boolean;
  cpus: number;
  memoryMb: number;
  kubernetesVersion: string;
  runtime: string;
  /** ExposedPorts in the saved config (what profile list reports). */
  ports: string[];
  /** What the node container really publishes: fixed at `docker run` (creation). */
  publishedPorts: string[];
  addons: Set<string>;
}

function ok(stdout = "", stderr = ""): Answer {
  return { exitCode: 0, stdout, stderr };
}
function json(value: unknown, exitCode = 0): Answer {
  return { exitCode, stdout: JSON.stringify(value, null, 2) + "\n" };
}
/** What Go's json.Marshal then w.Write print: compact, no trailing newline (minikube status, profile list). */
function goJson(value: unknown, exitCode = 0): Answer {
  return { exitCode, stdout: JSON.stringify(value) };
}
/**
 * One line of minikube's JSON output mode: a CloudEvent (pkg/minikube/out/register/cloud_events.go
 * CloudEvent: source https://minikube.sigs.k8s.io/, a fresh uuid id, type io.k8s.sigs.minikube.<kind>).
 */
let eventId = 0;
function cloudEvent(kind: "info" | "error", message: string): string {
  const id = `6f1c7c1e-0000-4000-8000-${String(++eventId).padStart(12, "0")}`;
  return JSON.stringify({ specversion: "1.0", id, source: "https://minikube.sigs.k8s.io/", type: `io.k8s.sigs.minikube.${kind}`, datacontenttype: "application/json", data: { message } }) + "\n";
}
function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

/** A few of minikube's addons (pkg/minikube/assets/addons.go), sorted as addons list prints them. */
const ADDONS = ["csi-hostpath-driver", "default-storageclass", "ingress", "storage-provisioner", "volumesnapshots"];

/** A port nothing listens on: a stopped minikube's API server. */
const REFUSED = "https://127.0.0.1:1";

export class FakeCluster {
  readonly runner = new FakeRunner();
  readonly inPod: InPodCommands | undefined;
  minikubeInstalled = true;
  dockerRunning = true;
  /** Whether sudo has cached credentials (a NOPASSWD rule, or sudo used in the last minutes). */
  sudoCached = false;
  /** Another profile with no control plane: `profile list` without --light then exits 88. */
  brokenOtherProfile = false;
  profile: Profile | undefined;
  /** The played node's directories (minikube ssh); volume directories appear when their PV is made. */
  readonly nodeDirs = new Set<string>();
  /**
   * `sudo rm -rf` exits 0 but the directory is back at once (a claim of the same name made again,
   * so the provisioner recreates it): what the lab's check after rm -rf is for.
   */
  nodeRecreatesDirs = false;
  /** The Mac's kubectl (Homebrew kubernetes-cli) as `kubectl version --client` reports it. */
  kubectlVersion = "v1.35.1";
  /** Called with each kubectl verb, e.g. to interrupt a run mid-way. */
  onKubectl?: (verb: string, argv: readonly string[]) => void;
  /** `minikube tunnel` for this profile (test/support/playedTunnel.ts). */
  readonly tunnel: PlayedTunnel;

  /**
   * Without a control plane (the doctor's tests, which never reach a cluster) every kubectl call but
   * `version --client` is refused as unscripted.
   */
  constructor(
    private readonly cluster?: { readonly controlPlane: ControlPlane; readonly kubeconfig: string },
    readonly profileName = "anka-lab",
  ) {
    this.inPod = cluster && inPodCommands(cluster.controlPlane);
    this.runner.handle((argv, options) => this.answer(argv, options?.input, options?.timeoutMs));
    this.tunnel = new PlayedTunnel(this.runner, profileName, cluster?.controlPlane, () => this.profile?.running ?? false);
  }

  /**
   * Docker Desktop restarts (or quits and starts): the node container stays stopped (no restart
   * policy, minikube #9376), and a tunnel that outlives it keeps the old SSH port and forwards nothing.
   */
  dockerDesktopRestarted(): void {
    if (this.profile) this.profile.running = false;
    this.writeContext("stopped");
    this.tunnel.goStale();
  }

  /** The node's volume directories now (the played provisioner made one for each volume). */
  async nodeDirectories(): Promise<string[]> {
    await this.syncNodeDirs();
    return [...this.nodeDirs].sort();
  }

  /** The node gets a directory for every hostpath volume that exists now (the provisioner made it). */
  private async syncNodeDirs(): Promise<void> {
    if (!this.cluster || !this.profile) return;
    const pvs = (await api(this.controlPlane, "GET", "/api/v1/persistentvolumes")).body?.items ?? [];
    for (const pv of pvs) if (pv.spec?.hostPath?.path) this.nodeDirs.add(pv.spec.hostPath.path);
  }

  private async answer(argv: readonly string[], input: string | undefined, timeoutMs: number | undefined): Promise<Answer | undefined> {
    switch (argv[0]) {
      case "minikube":
        return this.minikubeInstalled ? this.minikube(argv) : { missing: true };
      case "kubectl": {
        if (argv[1] === "version" && argv.includes("--client")) return this.macKubectlVersion();
        const verb = argv[1] === "--context" ? argv[3] : argv[1];
        this.onKubectl?.(verb!, argv);
        if (!this.inPod) return undefined;
        if (verb === "delete" && argv.some((a) => /^(pv|persistentvolumes?)$/.test(a))) await this.syncNodeDirs();
        return (await this.inPod.answer(argv)) ?? realKubectl(argv, { input, timeoutMs });
      }
      case "docker":
        return this.docker(argv);
      case "sudo":
        // `sudo -n true`: no cached credentials and -n, so sudo refuses instead of prompting (sudo(8)).
        if (argv[1] === "-n") return sudoNonInteractive(argv, this.sudoCached);
        // Played: the rest of the command (cp, chmod, mv, rm) runs for real, as after a password typed on the terminal.
        return this.plainCommand(argv.slice(1));
      case "cp":
      case "chmod":
      case "mv":
      case "rm":
        return this.plainCommand(argv);
      case "anka":
        return { missing: true };
      default:
        return undefined;
    }
  }

  /** The captured shape, as Homebrew's kubernetes-cli on an Apple Silicon Mac fills it. */
  private macKubectlVersion(): Answer {
    const captured = JSON.parse(readFileSync(join(FIXTURES, "kubectl-version-client.json"), "utf8"));
    const [, minor] = /^v1\.(\d+)/.exec(this.kubectlVersion) ?? [];
    captured.clientVersion = { ...captured.clientVersion, major: "1", minor, gitVersion: this.kubectlVersion, platform: "darwin/arm64" };
    return json(captured);
  }

  /** The file commands lab/tools/hostsFile.ts runs (cp SRC DST, chmod MODE F, mv -f SRC DST, rm -f F), done for real. */
  private plainCommand(argv: readonly string[]): Answer | undefined {
    const [cmd, ...rest] = argv;
    const operands = rest.filter((a) => a !== "-f");
    if (cmd === "cp") copyFileSync(operands[0]!, operands[1]!);
    else if (cmd === "chmod") chmodSync(operands[1]!, parseInt(operands[0]!, 8));
    else if (cmd === "mv") renameSync(operands[0]!, operands[1]!);
    else if (cmd === "rm") rmSync(operands[0]!, { force: true });
    else return undefined;
    return ok();
  }

  private docker(argv: readonly string[]): Answer | undefined {
    if (argv[1] !== "info") return undefined;
    if (!this.dockerRunning)
      return {
        exitCode: 1,
        stdout: readFileSync(join(FIXTURES, "docker-info-daemon-down.json"), "utf8"),
        stderr: "Cannot connect to the Docker daemon at unix:///Users/dev/.docker/run/docker.sock. Is the docker daemon running?\n",
      };
    const info = JSON.parse(readFileSync(join(FIXTURES, "docker-info-daemon-down.json"), "utf8"));
    return json({ ...info, ID: "c0ffee", ServerVersion: "28.3.2", NCPU: 8, MemTotal: 8 * 2 ** 30, OperatingSystem: "Docker Desktop", OSType: "linux", Architecture: "aarch64" });
  }

  /** Points the profile's context at the API server (running) or at a closed port (stopped), or removes it. */
  private get controlPlane(): ControlPlane {
    if (!this.cluster) throw new Error("FakeCluster: this test has no control plane");
    return this.cluster.controlPlane;
  }

  private writeContext(state: "running" | "stopped" | "deleted"): void {
    if (!this.cluster) return;
    const config = (parse(readFileSync(this.cluster.kubeconfig, "utf8")) ?? {}) as any;
    const name = this.profileName;
    const without = (list: any[] | undefined) => (list ?? []).filter((e) => e.name !== name);
    const previous = (config.contexts ?? []).find((c: any) => c.name === name)?.context ?? {};
    config.clusters = without(config.clusters);
    config.users = without(config.users);
    config.contexts = without(config.contexts);
    if (state !== "deleted") {
      config.clusters.push({ name, cluster: { server: state === "running" ? this.controlPlane.server : REFUSED, "insecure-skip-tls-verify": true } });
      config.users.push({ name, user: { token: this.controlPlane.token } });
      config.contexts.push({ name, context: { ...previous, cluster: name, user: name } });
    }
    writeFileSync(this.cluster.kubeconfig, stringify(config));
  }

  /** Whether the profile's context exists in the kubeconfig, and its namespace. */
  context(): { namespace?: string } | undefined {
    const config = (parse(readFileSync(this.cluster!.kubeconfig, "utf8")) ?? {}) as any;
    const found = (config.contexts ?? []).find((c: any) => c.name === this.profileName);
    return found ? { ...(found.context.namespace ? { namespace: found.context.namespace } : {}) } : undefined;
  }

  private async minikube(argv: readonly string[]): Promise<Answer | undefined> {
    const [, verb, ...rest] = argv;
    const p = flag(argv, "-p");
    if (verb === "version") return json({ commit: "c7e8ba7c8dbd6f98b5d3cf6b9e1e0f3d1f4aa9e2", minikubeVersion: "v1.38.1" });
    if (verb === "profile" && rest[0] === "list") {
      // cmd/minikube/cmd/config/profile_list.go: --light skips every status ("Skipped"); without it a
      // profile with no control plane exits GUEST_CP_CONFIG (88) and Docker down gives "Unknown".
      const light = rest.includes("--light") || rest.includes("-l");
      if (!light && this.brokenOtherProfile)
        return { exitCode: 88, stderr: "❌  Exiting due to GUEST_CP_CONFIG: No control-plane nodes found.\n" };
      const status = light ? "Skipped" : !this.dockerRunning ? "Unknown" : this.profile?.running ? "OK" : "Stopped";
      const valid = this.profile
        ? [
            {
              Name: this.profileName,
              Status: status,
              Config: {
                Name: this.profileName,
                Driver: "docker",
                CPUs: this.profile.cpus,
                Memory: this.profile.memoryMb,
                ExposedPorts: this.profile.ports,
                KubernetesConfig: { KubernetesVersion: this.profile.kubernetesVersion, ContainerRuntime: this.profile.runtime },
                Nodes: [{ Name: "", IP: "192.168.49.2", Port: 8443, ControlPlane: true, Worker: true }],
              },
              Active: false,
              ActiveKubeContext: false,
            },
          ]
        : [];
      return goJson({ invalid: [], valid });
    }
    if (p !== this.profileName) return undefined;
    switch (verb) {
      case "status": {
        // A missing profile: mustload.Partial prints the not-found line and exitTip the start tip,
        // each an info event in JSON mode, then exits 85 (pkg/minikube/mustload/mustload.go).
        if (!this.profile)
          return {
            exitCode: 85,
            stdout:
              cloudEvent("info", `Profile "${p}" not found. Run "minikube profile list" to view all profiles.`) +
              cloudEvent("info", `To start a cluster, run: "minikube start -p ${p}"`),
          };
        // Docker down: GetStatus fails, statusJSON marshals no statuses as null, exitCode of none is 7
        // (cmd/minikube/cmd/status.go, pkg/minikube/cluster/status.go GetStatus).
        if (!this.dockerRunning) return { exitCode: 7, stdout: "null" };
        const s = this.profile.running ? "Running" : "Stopped";
        return goJson(
          { Name: p, Host: s, Kubelet: s, APIServer: s, Kubeconfig: this.profile.running ? "Configured" : "Stopped", Worker: false },
          this.profile.running ? 0 : 7,
        );
      }
      case "start": {
        const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=").slice(1).join("=");
        const warnings: string[] = [];
        if (!this.profile)
          this.profile = {
            running: true,
            cpus: Number(value("cpus")),
            memoryMb: parseInt(value("memory")!, 10),
            kubernetesVersion: value("kubernetes-version")!,
            runtime: value("container-runtime")!,
            ports: value("ports") ? [value("ports")!] : [],
            publishedPorts: value("ports") ? [value("ports")!] : [],
            addons: new Set(["storage-provisioner", "default-storageclass"]),
          };
        else {
          // An existing profile (cmd/minikube/cmd/start_flags.go updateExistingConfigFromFlags): changed
          // cpus and memory only warn; --ports and --container-runtime are written into the saved config,
          // and --kubernetes-version upgrades it, without recreating the node container, so the
          // published ports stay what `docker run` got at creation.
          if (value("cpus") !== undefined && Number(value("cpus")) !== this.profile.cpus)
            warnings.push("❗  You cannot change the CPUs for an existing minikube cluster. Please first delete the cluster.\n");
          if (value("memory") !== undefined && parseInt(value("memory")!, 10) !== this.profile.memoryMb)
            warnings.push("❗  You cannot change the memory size for an existing minikube cluster. Please first delete the cluster.\n");
          if (value("ports") !== undefined) this.profile.ports = [value("ports")!];
          if (value("container-runtime") !== undefined) this.profile.runtime = value("container-runtime")!;
          if (value("kubernetes-version") !== undefined) this.profile.kubernetesVersion = value("kubernetes-version")!;
        }
        this.profile.running = true;
        this.writeContext("running");
        if (this.cluster) await this.create("/apis/storage.k8s.io/v1/storageclasses", MINIKUBE_STORAGE_CLASS);
        return ok(`😄  [${p}] minikube v1.38.1 on Darwin 15.5 (arm64)\n🏄  Done! kubectl is now configured to use "${p}" cluster and "default" namespace by default\n`, warnings.join(""));
      }
      case "stop":
        if (this.profile) this.profile.running = false;
        this.writeContext("stopped");
        return ok(`✋  Stopping node "${p}"  ...\n🛑  1 node stopped.\n`);
      case "addons": {
        // addons list on a missing profile: no config, so printAddonsJSON prints {} for every addon
        // and exits 0 (cmd/minikube/cmd/config/addons_list.go).
        if (!this.profile && rest[0] === "list") return goJson(Object.fromEntries(ADDONS.map((a) => [a, {}])));
        if (!this.profile) return { exitCode: 85, stdout: `🤷  Profile "${p}" not found. Run "minikube profile list" to view all profiles.\n👉  To start a cluster, run: "minikube start -p ${p}"\n` };
        // enable takes exactly one addon (cmd/minikube/cmd/config/enable.go: len(args) != 1 -> reason.Usage, exit 14).
        if (rest[0] === "enable" && rest.filter((a) => !a.startsWith("-") && a !== p).length !== 2)
          return { exitCode: 14, stderr: "❌  Exiting due to MK_USAGE: usage: minikube addons enable ADDON_NAME\n" };
        if (rest[0] === "list")
          return json(
            Object.fromEntries(ADDONS.map((a) => [a, { Profile: p, Status: this.profile!.addons.has(a) ? "enabled" : "disabled" }])),
          );
        if (rest[0] === "enable") {
          this.profile.addons.add(rest[1]!);
          if (rest[1] === "ingress" && this.cluster) await this.deployIngressAddon();
          return ok(`🌟  The '${rest[1]}' addon is enabled\n`);
        }
        return undefined;
      }
      case "ssh":
        return this.ssh(argv);
      case "delete":
        // delete removes the node container and its volume, /tmp/hostpath-provisioner included.
        this.profile = undefined;
        this.nodeDirs.clear();
        void this.tunnel.onForwards?.(false);
        this.writeContext("deleted");
        return ok(`🔥  Deleting "${p}" in docker ...\n💀  Removed all traces of the "${p}" cluster.\n`);
      default:
        return undefined;
    }
  }

  /**
   * `minikube ssh -p P -- cmd`: needs a running node (mustload.Running: exit 83 when stopped), runs
   * cmd there and exits 1 on any remote failure, printing "ssh: Process exited with status N"
   * (cmd/minikube/cmd/ssh.go). Played: `sudo rm -rf DIR` and `sudo test -e DIR` on nodeDirs.
   */
  private async ssh(argv: readonly string[]): Promise<Answer | undefined> {
    if (!this.profile?.running) return { exitCode: 83, stderr: `🤷  The control-plane node ${this.profileName} host is not running: state=Stopped\n` };
    await this.syncNodeDirs();
    const cmd = argv.slice(argv.indexOf("--") + 1);
    const failed = (status: number): Answer => ({ exitCode: 1, stderr: `ssh: Process exited with status ${status}\n` });
    if (cmd[0] === "sudo" && cmd[1] === "rm" && cmd[2] === "-rf") {
      if (!this.nodeRecreatesDirs)
        for (const path of cmd.slice(3)) for (const d of [...this.nodeDirs]) if (d === path || d.startsWith(`${path}/`)) this.nodeDirs.delete(d);
      return ok();
    }
    if (cmd[0] === "sudo" && cmd[1] === "test" && cmd[2] === "-e") return this.nodeDirs.has(cmd[3]!) ? ok() : failed(1);
    return undefined;
  }

  private async create(path: string, object: unknown): Promise<void> {
    const result = await api(this.controlPlane, "POST", path, object);
    if (result.status !== 201 && result.status !== 409) throw new Error(`creating ${path}: HTTP ${result.status} ${JSON.stringify(result.body?.message)}`);
  }

  /** What the ingress addon deploys that the lab looks at: its namespace, controller and IngressClass. */
  private async deployIngressAddon(): Promise<void> {
    const labels = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/component": "controller" };
    await this.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "ingress-nginx" } });
    await this.create("/apis/networking.k8s.io/v1/ingressclasses", {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "nginx", labels },
      spec: { controller: "k8s.io/ingress-nginx" },
    });
    await this.create("/apis/apps/v1/namespaces/ingress-nginx/deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "ingress-nginx-controller", namespace: "ingress-nginx", labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "controller", image: "registry.k8s.io/ingress-nginx/controller:v1.14.1", ports: [{ containerPort: 80, hostPort: 80 }] }] },
        },
      },
    });
  }

  /**
   * Gives a pod the status kubelet would report after containers restarted, e.g. OOMKilled
   * (restartCount and lastState.terminated reason "OOMKilled", exit code 137:
   * https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/). kwok then
   * leaves the pod's status alone (KWOK_STATUS_ANNOTATION).
   */
  async restartContainers(namespace: string, pod: string, container: string, reason: string, exitCode: number): Promise<void> {
    const path = `/api/v1/namespaces/${namespace}/pods/${pod}`;
    await api(this.controlPlane, "PATCH", path, { metadata: { annotations: { [KWOK_STATUS_ANNOTATION]: "custom" } } }, "application/merge-patch+json");
    const current = (await api(this.controlPlane, "GET", path)).body;
    const statuses = (current.status.containerStatuses ?? []).map((s: any) =>
      s.name === container
        ? { ...s, restartCount: (s.restartCount ?? 0) + 1, lastState: { terminated: { exitCode, reason, startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:01:00Z" } } }
        : s,
    );
    const patched = await api(this.controlPlane, "PATCH", `${path}/status`, { status: { containerStatuses: statuses } }, "application/merge-patch+json");
    if (patched.status !== 200) throw new Error(`status of pod ${pod}: HTTP ${patched.status}`);
  }
}
