import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, copyFileSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { RunOptions } from "../../lab/exec/types.js";
import { FakeRunner, type Answer } from "./fakeRunner.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/**
 * A scripted minikube + Kubernetes API server + Docker Desktop + sudo, behind the FakeRunner.
 * Every answer follows the real tool's output; sources:
 *  - minikube: ../shared/reference/minikube.md (v1.38.1): status JSON and exit codes (s2), profile
 *    list and addons list JSON (s2), "Tunnel successfully started" (s3), version JSON
 *    (tilt-dev/ctlptl pkg/cluster/admin_minikube_test.go).
 *  - kubectl: `get -o json` returns the object or {"kind":"List","items":[…]}; NotFound on stderr
 *    with exit 1 (kubectl's standard error printer); apply --server-side prints
 *    "<kind>[.<group>]/<name> serverside-applied" (kubectl pkg/cmd/apply/apply.go); delete prints
 *    "<kind>[.<group>] \"<name>\" deleted"; version --client -o json and docker info with the daemon
 *    down are captured on a real machine (test/fixtures/).
 *  - etcdctl endpoint health: "<url> is healthy: successfully committed proposal: took = …" per member.
 */
export interface StuckPods {
  readonly component: string;
  readonly reason: string;
  readonly message: string;
  readonly event: string;
  readonly log?: string;
}

interface Profile {
  running: boolean;
  cpus: number;
  memoryMb: number;
  kubernetesVersion: string;
  runtime: string;
  ports: string[];
  addons: Set<string>;
}

type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; status?: any };

const GROUPS: Record<string, string> = { StatefulSet: "apps", Deployment: "apps", Ingress: "networking.k8s.io", PodDisruptionBudget: "policy" };
const KIND_NAMES: Record<string, string> = {
  pods: "Pod", pod: "Pod", statefulset: "StatefulSet", statefulsets: "StatefulSet", deployment: "Deployment", deployments: "Deployment",
  service: "Service", services: "Service", svc: "Service", ingress: "Ingress", poddisruptionbudget: "PodDisruptionBudget",
  configmap: "ConfigMap", pvc: "PersistentVolumeClaim", persistentvolumeclaim: "PersistentVolumeClaim", namespace: "Namespace",
  storageclass: "StorageClass", events: "Event",
};
const plural = (kind: string) => `${kind.toLowerCase()}${kind.endsWith("s") ? "es" : "s"}`;
const resourceName = (kind: string) => (GROUPS[kind] ? `${kind.toLowerCase()}.${GROUPS[kind]}` : kind.toLowerCase());

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
/** kubectl's positional words after the verb: flags and their values left out. */
const FLAGS_WITH_VALUES = new Set(["--context", "-n", "-l", "-o", "-c", "-f", "--field-selector"]);
function positionals(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (FLAGS_WITH_VALUES.has(argv[i]!)) i++;
    else if (!argv[i]!.startsWith("-")) words.push(argv[i]!);
  }
  return words;
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").every((pair) => {
    const [k, v] = pair.split("=");
    return labels?.[k!] === v;
  });
}

export class FakeCluster {
  readonly runner = new FakeRunner();
  minikubeInstalled = true;
  dockerRunning = true;
  profile: Profile | undefined;
  readonly contexts = new Map<string, { namespace?: string }>();
  readonly objects = new Map<string, KubeObject>();
  stuck: StuckPods | undefined;
  kubectlVersion = "v1.35.1";
  /** What etcdctl put/get/del see through `kubectl exec` (etcdctl prints OK for put, the value for get --print-value-only). */
  readonly etcdKeys = new Map<string, string>();
  /** The host folder behind the pods' /mnt/vol, when `kubectl exec … node -e` should run for real. */
  podVolume: string | undefined;
  /** KiB that `du -sk /tmp/nginx/client-body` reports in the ingress controller pod. */
  spoolKiB = 0;
  /**
   * Restarted probe containers show as the API does (containerStatuses[].restartCount,
   * lastState.terminated.reason "OOMKilled", exitCode 137:
   * https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/).
   */
  /** Restarts of the probe containers so far; OOMKilled is their last termination once above 0. */
  restarts = 0;
  /** Pods deleted with `kubectl delete pod`, and what a test wants to happen then. */
  readonly deletedPods: string[] = [];
  onPodDeleted?: (pod: string) => void;
  /** A cloud cluster's LoadBalancer controller assigns addresses with no tunnel. */
  cloudLoadBalancers = false;
  /** Called with each kubectl verb, e.g. to interrupt a run mid-way. */
  onKubectl?: (verb: string, argv: readonly string[]) => void;
  private tunnelPid: number | undefined;

  constructor(readonly profileName = "anka-lab") {
    this.runner.handle((argv, options) => this.answer(argv, options));
    this.runner.onDetached = (argv, log, pid) => {
      if (argv[0] === "minikube" && argv[1] === "tunnel") {
        this.tunnelPid = pid;
        // The docker driver's tunnel prints this once its forwards are up (minikube.md s3).
        appendFileSync(log, "✅  Tunnel successfully started\n\n📌  NOTE: Please do not close this terminal as this process must stay alive for the tunnel to be accessible ...\n");
      }
    };
  }

  /** A running cluster as a previous lab:up left it, without going through lab:up. */
  get tunnelAlive(): boolean {
    return this.tunnelPid !== undefined && this.runner.isAlive(this.tunnelPid);
  }

  killTunnel(): void {
    if (this.tunnelPid !== undefined) this.runner.die(this.tunnelPid);
  }

  private key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${namespace ?? ""}/${name}`;
  }

  private answer(argv: readonly string[], options: RunOptions | undefined): Answer | undefined {
    switch (argv[0]) {
      case "minikube":
        return this.minikubeInstalled ? this.minikube(argv) : { missing: true };
      case "kubectl":
        return this.kubectl(argv, options);
      case "docker":
        return this.docker(argv);
      case "sudo":
        // sudo is faked: it runs the rest of the command (cp, chmod, mv, rm) for real, without asking for a password.
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

  private minikube(argv: readonly string[]): Answer | undefined {
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
        if (!this.contexts.has(p)) this.contexts.set(p, {});
        this.put({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "standard" } });
        return ok(`😄  [${p}] minikube v1.38.1 on Darwin 15.5 (arm64)\n🏄  Done! kubectl is now configured to use "${p}" cluster and "default" namespace by default\n`);
      }
      case "addons": {
        if (!this.profile) return { exitCode: 85, stderr: `🤷  Profile "${p}" not found.\n` };
        if (rest[0] === "list")
          return json(
            Object.fromEntries(["ingress", "storage-provisioner", "default-storageclass", "csi-hostpath-driver"].map((a) => [a, { Profile: p, Status: this.profile!.addons.has(a) ? "enabled" : "disabled" }])),
          );
        if (rest[0] === "enable") {
          this.profile.addons.add(rest[1]!);
          return ok(`🌟  The '${rest[1]}' addon is enabled\n`);
        }
        return undefined;
      }
      case "delete":
        this.profile = undefined;
        this.objects.clear();
        this.contexts.delete(p);
        return ok(`🔥  Deleting "${p}" in docker ...\n💀  Removed all traces of the "${p}" cluster.\n`);
      default:
        return undefined;
    }
  }

  put(object: KubeObject): void {
    this.objects.set(this.key(object.kind, object.metadata.namespace, object.metadata.name), object);
  }

  private reachable(argv: readonly string[]): Answer | undefined {
    const context = flag(argv, "--context");
    if (context === undefined) return undefined;
    if (!this.contexts.has(context)) return { exitCode: 1, stderr: `error: context "${context}" does not exist\n` };
    if (this.profile && !this.profile.running && context === this.profileName)
      return { exitCode: 1, stderr: "The connection to the server 127.0.0.1:32771 was refused - did you specify the right host or port?\n" };
    return undefined;
  }

  private kubectl(argv: readonly string[], options: RunOptions | undefined): Answer | undefined {
    if (argv[1] === "version") {
      // The captured shape, as Homebrew's kubernetes-cli on an Apple Silicon Mac would fill it.
      const captured = JSON.parse(readFileSync(join(FIXTURES, "kubectl-version-client.json"), "utf8"));
      captured.clientVersion = { ...captured.clientVersion, major: "1", minor: "35", gitVersion: this.kubectlVersion, platform: "darwin/arm64" };
      return json(captured);
    }
    if (argv[1] === "config") return this.kubeconfig(argv);
    const blocked = this.reachable(argv);
    if (blocked) return blocked;
    const [verb, ...words] = positionals(argv);
    this.onKubectl?.(verb!, argv);
    const namespace = flag(argv, "-n");
    switch (verb) {
      case "get":
        return this.get(words[0]!, words[1], namespace, flag(argv, "-l"), flag(argv, "--field-selector"));
      case "apply":
        return this.apply(options?.input ?? "", flag(argv, "-l"), argv.filter((a) => a.startsWith("--prune-allowlist=")).map((a) => a.split("=")[1]!.split("/").at(-1)!));
      case "exec":
        return this.exec(argv);
      case "logs":
        return ok(this.stuck?.log ? `${this.stuck.log}\n` : "");
      case "delete":
        if (words[0] === "pod") {
          this.deletedPods.push(words[1]!);
          this.onPodDeleted?.(words[1]!);
          return ok(`pod "${words[1]}" deleted\n`);
        }
        return this.delete(words, flag(argv, "-l"), namespace);
      case "patch":
        return this.patch(words, namespace, flag(argv, "-p")!);
      case "scale": {
        const o = this.objects.get(this.key(KIND_NAMES[words[0]!]!, namespace, words[1]!));
        if (!o) return { exitCode: 1, stderr: `Error from server (NotFound): ${words[0]}s "${words[1]}" not found\n` };
        o.spec.replicas = Number(argv.find((a) => a.startsWith("--replicas="))!.split("=")[1]);
        return ok(`${resourceName(o.kind)}/${o.metadata.name} scaled\n`);
      }
      default:
        return undefined;
    }
  }

  private kubeconfig(argv: readonly string[]): Answer | undefined {
    if (argv[2] === "view")
      return json({
        kind: "Config",
        apiVersion: "v1",
        contexts: [...this.contexts].map(([name, c]) => ({ name, context: { cluster: name, user: name, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
      });
    if (argv[2] === "set-context") {
      const name = argv[3]!;
      this.contexts.set(name, { namespace: argv.find((a) => a.startsWith("--namespace="))?.split("=")[1] });
      return ok(`Context "${name}" modified.\n`);
    }
    return undefined;
  }

  /** Pods the controllers would have made, Ready unless this component is stuck. */
  private pods(namespace: string | undefined): KubeObject[] {
    const pods: KubeObject[] = [];
    const make = (name: string, ns: string, labels: Record<string, string>, containers: string[]) => {
      const stuck = this.stuck && labels["app.kubernetes.io/name"] === this.stuck.component;
      pods.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: ns, labels },
        status: {
          phase: stuck ? "Pending" : "Running",
          conditions: [
            { type: "PodScheduled", status: "True" },
            stuck
              ? { type: "Ready", status: "False", reason: "ContainersNotReady", message: `containers with unready status: [${containers[0]}]` }
              : { type: "Ready", status: "True" },
          ],
          containerStatuses: containers.map((c, i) => ({
            name: c,
            ready: !stuck || i > 0,
            restartCount: c === "probe" && labels["app.kubernetes.io/name"] === "anka-build-cloud" ? this.restarts : 0,
            ...(c === "probe" && this.restarts > 0 && labels["app.kubernetes.io/name"] === "anka-build-cloud"
              ? { lastState: { terminated: { exitCode: 137, reason: "OOMKilled", startedAt: "2026-11-25T14:00:00Z", finishedAt: "2026-11-25T14:01:00Z" } } }
              : {}),
            state: stuck && i === 0 ? { waiting: { reason: this.stuck!.reason, message: this.stuck!.message } } : { running: { startedAt: "2026-11-25T14:00:00Z" } },
          })),
        },
      });
    };
    for (const o of this.objects.values()) {
      if (namespace && o.metadata.namespace !== namespace) continue;
      const labels = o.spec?.template?.metadata?.labels ?? {};
      const containers = (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name);
      if (o.kind === "StatefulSet")
        for (let i = 0; i < o.spec.replicas; i++) make(`${o.metadata.name}-${i}`, o.metadata.namespace!, labels, containers);
      if (o.kind === "Deployment")
        for (let i = 0; i < o.spec.replicas; i++) make(`${o.metadata.name}-7d9c8b6f5-${"abcde"[i]}x${i}`, o.metadata.namespace!, labels, containers);
    }
    if (this.profile?.addons.has("ingress") && (!namespace || namespace === "ingress-nginx"))
      make("ingress-nginx-controller-6c7d8f5b9-q2x4z", "ingress-nginx", { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" }, ["controller"]);
    return pods;
  }

  private withStatus(o: KubeObject): KubeObject {
    const stuck = this.stuck && o.spec?.template?.metadata?.labels?.["app.kubernetes.io/name"] === this.stuck.component;
    if (o.kind === "StatefulSet" || o.kind === "Deployment")
      return { ...o, status: { replicas: o.spec.replicas, readyReplicas: stuck ? 0 : o.spec.replicas, updatedReplicas: o.spec.replicas } };
    if (o.kind === "Service" && o.spec?.type === "LoadBalancer")
      return { ...o, status: { loadBalancer: this.tunnelAlive || this.cloudLoadBalancers ? { ingress: [{ ip: "127.0.0.1" }] } : {} } };
    return o;
  }

  private get(kindArg: string, name: string | undefined, namespace: string | undefined, selector: string | undefined, fieldSelector: string | undefined): Answer {
    const kind = KIND_NAMES[kindArg] ?? kindArg;
    if (kind === "Event") {
      const pod = fieldSelector?.split("=")[1];
      const items =
        this.stuck && pod?.includes(this.stuck.component)
          ? [{ kind: "Event", type: "Warning", reason: "Failed", message: this.stuck.event, involvedObject: { kind: "Pod", name: pod } }]
          : [];
      return json({ apiVersion: "v1", kind: "List", items });
    }
    const pool = kind === "Pod" ? this.pods(namespace) : [...this.objects.values()].filter((o) => o.kind === kind && (!namespace || o.metadata.namespace === namespace || kind === "StorageClass"));
    if (name !== undefined) {
      const found = pool.find((o) => o.metadata.name === name);
      if (!found) return { exitCode: 1, stderr: `Error from server (NotFound): ${plural(kind)}${GROUPS[kind] ? `.${GROUPS[kind]}` : ""} "${name}" not found\n` };
      return json(this.withStatus(found));
    }
    return json({ apiVersion: "v1", kind: "List", items: pool.filter((o) => matchesSelector(o.metadata.labels, selector)).map((o) => this.withStatus(o)) });
  }

  private apply(input: string, selector: string | undefined, allowKinds: string[]): Answer {
    const applied = parseAllDocuments(input).map((d) => d.toJS() as KubeObject).filter(Boolean);
    const keep = new Set(applied.map((o) => this.key(o.kind, o.metadata.namespace, o.metadata.name)));
    const lines = applied.map((o) => {
      this.put(o);
      return `${resourceName(o.kind)}/${o.metadata.name} serverside-applied`;
    });
    for (const [key, o] of [...this.objects]) {
      if (!keep.has(key) && allowKinds.includes(o.kind) && matchesSelector(o.metadata.labels, selector)) {
        this.objects.delete(key);
        lines.push(`${resourceName(o.kind)}/${o.metadata.name} pruned`);
      }
    }
    // Objects from volumeClaimTemplates, as the StatefulSet controller makes them (kept on delete).
    for (const o of applied.filter((x) => x.kind === "StatefulSet"))
      for (let i = 0; i < o.spec.replicas; i++)
        this.put({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: `data-${o.metadata.name}-${i}`, namespace: o.metadata.namespace, labels: o.spec.volumeClaimTemplates[0].metadata.labels } });
    return ok(lines.join("\n") + "\n");
  }

  private exec(argv: readonly string[]): Answer {
    const command = argv.slice(argv.indexOf("--") + 1);
    if (command[0] === "du") return ok(`${this.spoolKiB}\t${command[2]}\n`);
    if (command[0] === "node" && command[1] === "-e") return this.nodeInPod(command);
    if (command[0] === "etcdctl" && !command.includes("health")) return this.etcdctl(command.filter((a) => !a.startsWith("--endpoints")));
    const sts = [...this.objects.values()].find((o) => o.kind === "StatefulSet");
    if (!sts) return { exitCode: 1, stderr: `Error from server (NotFound): pods "${argv[6]}" not found\n` };
    const ns = sts.metadata.namespace;
    const lines = Array.from({ length: sts.spec.replicas }, (_, i) => `http://${sts.metadata.name}-${i}.etcd-headless.${ns}.svc.cluster.local:2379 is healthy: successfully committed proposal: took = 2.31${i}ms`);
    return ok(lines.join("\n") + "\n");
  }

  /** A strategic merge patch of containers' resources, matched by container name (kubectl patch --type=strategic). */
  private patch(words: string[], namespace: string | undefined, patchText: string): Answer {
    const o = this.objects.get(this.key(KIND_NAMES[words[0]!]!, namespace, words[1]!));
    if (!o) return { exitCode: 1, stderr: `Error from server (NotFound): deployments.apps "${words[1]}" not found\n` };
    const patch = JSON.parse(patchText);
    for (const change of patch.spec.template.spec.containers as any[]) {
      const container = o.spec.template.spec.containers.find((c: any) => c.name === change.name);
      const limit = change.resources?.limits?.memory;
      container.resources = { ...container.resources, limits: limit === null ? undefined : { ...container.resources?.limits, memory: limit } };
      if (limit === null) delete container.resources.limits;
    }
    return ok(`${resourceName(o.kind)}/${o.metadata.name} patched\n`);
  }

  /** The memory limit on the build-cloud pods' probe container, if any. */
  probeLimit(): string | undefined {
    const deployment = [...this.objects.values()].find((o) => o.kind === "Deployment");
    return deployment?.spec.template.spec.containers.find((c: any) => c.name === "probe")?.resources?.limits?.memory;
  }

  /** The pod's node runs the program for real here, with /mnt/vol mapped to the shared test volume. */
  private nodeInPod(command: readonly string[]): Answer {
    if (!this.podVolume) return { exitCode: 1, stderr: "error: unable to upgrade connection: container not found (\"probe\")\n" };
    const args = command.slice(3).map((a) => (a.startsWith("/mnt/vol/") ? join(this.podVolume!, a.slice("/mnt/vol/".length)) : a));
    try {
      const stdout = execFileSync(process.execPath, ["-e", command[2]!, ...args], { encoding: "utf8" });
      return ok(stdout);
    } catch (error) {
      const e = error as { status?: number; stderr?: string };
      return { exitCode: e.status ?? 1, stderr: `${e.stderr ?? ""}command terminated with exit code ${e.status ?? 1}\n` };
    }
  }

  private etcdctl(command: readonly string[]): Answer {
    const [, verb, key, value] = command;
    if (verb === "put") return (this.etcdKeys.set(key!, value!), ok("OK\n"));
    if (verb === "get") return ok(this.etcdKeys.has(key!) ? `${this.etcdKeys.get(key!)}\n` : "");
    if (verb === "del") return ok(this.etcdKeys.delete(key!) ? "1\n" : "0\n");
    return { exitCode: 1, stderr: `Error: unknown command "${verb}" for "etcdctl"\n` };
  }

  private delete(words: string[], selector: string | undefined, namespace: string | undefined): Answer {
    const kinds = words[0]!.split(",").map((k) => KIND_NAMES[k] ?? k);
    const named = words[1];
    const lines: string[] = [];
    for (const [key, o] of [...this.objects]) {
      if (!kinds.includes(o.kind)) continue;
      if (named ? o.metadata.name !== named : !matchesSelector(o.metadata.labels, selector)) continue;
      if (o.kind !== "Namespace" && namespace && o.metadata.namespace !== namespace) continue;
      if (o.kind === "Namespace") for (const [k2, o2] of [...this.objects]) if (o2.metadata.namespace === o.metadata.name) this.objects.delete(k2);
      this.objects.delete(key);
      lines.push(`${resourceName(o.kind)} "${o.metadata.name}" deleted`);
    }
    return ok(lines.join("\n") + (lines.length ? "\n" : ""));
  }

  /** Objects of a kind, by name, for assertions. */
  names(kind: string): string[] {
    return [...this.objects.values()].filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
  }
}
