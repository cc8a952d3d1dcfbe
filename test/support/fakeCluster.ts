import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { api } from "../cluster/api.js";
import { KWOK_STATUS_ANNOTATION, type ControlPlane } from "../cluster/controlPlane.js";
import { MINIKUBE_STORAGE_CLASS } from "../cluster/controllers.js";
import { inPodCommands, realKubectl } from "../cluster/fixture.js";
import { FakeRunner, type Answer } from "./fakeRunner.js";
import type { InPodCommands } from "./inPod.js";

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
 *  - minikube tunnel (docker driver) sets LoadBalancer status to 127.0.0.1 while it runs
 *    (test/cluster/controllers.ts, startLoadBalancerPublisher, active while the played tunnel lives).
 *  - `kubectl version --client -o json` and `docker info` with the daemon down are captured outputs
 *    (test/fixtures/).
 */
interface Profile {
  running: boolean;
  cpus: number;
  memoryMb: number;
  kubernetesVersion: string;
  runtime: string;
  ports: string[];
  addons: Set<string>;
}

function ok(stdout = "", stderr = ""): Answer {
  return { exitCode: 0, stdout, stderr };
}
function json(value: unknown, exitCode = 0): Answer {
  return { exitCode, stdout: JSON.stringify(value, null, 2) + "\n" };
}
function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

/** A port nothing listens on: a stopped minikube's API server. */
const REFUSED = "https://127.0.0.1:1";

export class FakeCluster {
  readonly runner = new FakeRunner();
  readonly inPod: InPodCommands | undefined;
  minikubeInstalled = true;
  dockerRunning = true;
  profile: Profile | undefined;
  /** The Mac's kubectl (Homebrew kubernetes-cli) as `kubectl version --client` reports it. */
  kubectlVersion = "v1.35.1";
  /** Called with each kubectl verb, e.g. to interrupt a run mid-way. */
  onKubectl?: (verb: string, argv: readonly string[]) => void;
  private tunnelPid: number | undefined;

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
    this.runner.onDetached = (argv, log, pid) => {
      if (argv[0] === "minikube" && argv[1] === "tunnel") {
        this.tunnelPid = pid;
        // The docker driver's tunnel prints this once its forwards are up (minikube pkg/minikube/tunnel/kic).
        writeFileSync(log, "✅  Tunnel successfully started\n\n📌  NOTE: Please do not close this terminal as this process must stay alive for the tunnel to be accessible ...\n", { flag: "a" });
      }
    };
  }

  get tunnelAlive(): boolean {
    return this.tunnelPid !== undefined && this.runner.isAlive(this.tunnelPid);
  }

  killTunnel(): void {
    if (this.tunnelPid !== undefined) this.runner.die(this.tunnelPid);
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
        return (await this.inPod.answer(argv)) ?? realKubectl(argv, { input, timeoutMs });
      }
      case "docker":
        return this.docker(argv);
      case "sudo":
        // Played: it runs the rest of the command (cp, chmod, mv, rm) for real, without asking for a password.
        if (argv[1] === "-n") return ok();
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

  /** The file commands lab/hosts.ts runs (cp SRC DST, chmod MODE F, mv -f SRC DST, rm -f F), done for real. */
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
      const valid = this.profile
        ? [
            {
              Name: this.profileName,
              Status: this.profile.running ? "OK" : "Stopped",
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
      return json({ invalid: [], valid });
    }
    if (p !== this.profileName) return undefined;
    switch (verb) {
      case "status": {
        if (!this.profile)
          return {
            exitCode: 85,
            stdout: JSON.stringify({
              specversion: "1.0",
              type: "io.k8s.sigs.minikube.info",
              datacontenttype: "application/json",
              data: { message: `Profile "${p}" not found. Run "minikube profile list" to view all profiles.` },
            }) + "\n",
          };
        const s = this.profile.running ? "Running" : "Stopped";
        return json(
          { Name: p, Host: s, Kubelet: s, APIServer: s, Kubeconfig: this.profile.running ? "Configured" : "Stopped", Worker: false },
          this.profile.running ? 0 : 7,
        );
      }
      case "start": {
        const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=").slice(1).join("=");
        this.profile ??= {
          running: true,
          cpus: Number(value("cpus")),
          memoryMb: parseInt(value("memory")!, 10),
          kubernetesVersion: value("kubernetes-version")!,
          runtime: value("container-runtime")!,
          ports: value("ports") ? [value("ports")!] : [],
          addons: new Set(["storage-provisioner", "default-storageclass"]),
        };
        this.profile.running = true;
        this.writeContext("running");
        if (this.cluster) await this.create("/apis/storage.k8s.io/v1/storageclasses", MINIKUBE_STORAGE_CLASS);
        return ok(`😄  [${p}] minikube v1.38.1 on Darwin 15.5 (arm64)\n🏄  Done! kubectl is now configured to use "${p}" cluster and "default" namespace by default\n`);
      }
      case "stop":
        if (this.profile) this.profile.running = false;
        this.writeContext("stopped");
        return ok(`✋  Stopping node "${p}"  ...\n🛑  1 node stopped.\n`);
      case "addons": {
        if (!this.profile) return { exitCode: 85, stderr: `🤷  Profile "${p}" not found.\n` };
        if (rest[0] === "list")
          return json(
            Object.fromEntries(["ingress", "storage-provisioner", "default-storageclass", "csi-hostpath-driver"].map((a) => [a, { Profile: p, Status: this.profile!.addons.has(a) ? "enabled" : "disabled" }])),
          );
        if (rest[0] === "enable") {
          this.profile.addons.add(rest[1]!);
          if (rest[1] === "ingress" && this.cluster) await this.deployIngressAddon();
          return ok(`🌟  The '${rest[1]}' addon is enabled\n`);
        }
        return undefined;
      }
      case "delete":
        this.profile = undefined;
        this.writeContext("deleted");
        return ok(`🔥  Deleting "${p}" in docker ...\n💀  Removed all traces of the "${p}" cluster.\n`);
      default:
        return undefined;
    }
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
