import { execFile, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import { settle, type RunOptions, type RunResult, type Runner } from "../../lab/exec/types.js";
import type { LabConfig } from "../../lab/config/schema.js";
import type { KubeObject } from "../../lab/topology/topology.js";
import { inNamespace, kubeletArgv, startLogged } from "./kubelet.js";
import type { TestNetwork } from "./netns.js";

/**
 * The etcd StatefulSet's pods for real, behind the kubectl calls the lab makes: each pod is the
 * rendered container run as kubelet would (test/support/kubelet.ts) inside its own network
 * namespace, and each kubectl verb the membership code uses does what the API server, the
 * StatefulSet controller and kubelet would do:
 *
 * - `exec etcd-<n> -c etcd -- etcdctl ...` runs Debian's etcdctl inside that pod's namespace;
 * - `scale statefulset etcd --replicas=N` starts pods below N (reading the bootstrap ConfigMap as it
 *   is at that moment, as kubelet resolves env at container start) and stops those above it;
 * - `patch configmap`, `get statefulset|pod`, `delete pod|pvc`, `logs [--previous]`;
 * - a container that exits is restarted after a short back-off while its pod exists (restartPolicy Always).
 *
 * Any other command throws, so the membership code cannot call something the test does not model.
 */
interface Pod {
  child?: ChildProcess;
  /** The argv of the last container run, after $(VAR) expansion. */
  argv?: readonly string[];
  /** One log per container run, as `kubectl logs` and `logs --previous` read them. */
  logs: string[];
  exists: boolean;
  stopping?: Promise<void>;
}

export class EtcdPods implements Runner {
  readonly calls: string[][] = [];
  replicas = 0;
  readonly configMaps: Record<string, Record<string, string>>;
  private container: IContainer;
  private readonly pods = new Map<number, Pod>();
  private closed = false;

  constructor(
    private readonly config: LabConfig,
    private readonly network: TestNetwork,
    private readonly work: string,
    objects: readonly KubeObject[],
  ) {
    this.configMaps = Object.fromEntries(objects.filter((o) => o.kind === "ConfigMap").map((o: any) => [o.metadata.name, { ...o.data }]));
    this.container = EtcdPods.containerOf(objects);
  }

  static containerOf(objects: readonly KubeObject[]): IContainer {
    return (objects.find((o) => o.kind === "StatefulSet") as any).spec.template.spec.containers[0];
  }

  /**
   * What lab:up's apply step does after the membership step: the rendered pod template for pods
   * created from now on, and the rendered bootstrap ConfigMap (a fresh cluster's `new`) back in place.
   */
  applyRender(objects: readonly KubeObject[]): void {
    this.container = EtcdPods.containerOf(objects);
    for (const o of objects as any[]) if (o.kind === "ConfigMap") this.configMaps[o.metadata.name] = { ...o.data };
  }

  /** The pod template only, as an apply of the StatefulSet before the membership step would leave it. */
  setTemplate(objects: readonly KubeObject[]): void {
    this.container = EtcdPods.containerOf(objects);
  }

  volume(ordinal: number): string {
    return join(this.work, `etcd-${ordinal}`);
  }

  /** Every log line any run of this pod wrote (for failure messages). */
  logTail(ordinal: number, lines = 12): string {
    const pod = this.pods.get(ordinal);
    const last = pod?.logs.at(-1);
    return last && existsSync(last) ? readFileSync(last, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
  }

  /** The argv pod `ordinal`'s container was last started with. */
  argvOf(ordinal: number): readonly string[] {
    return this.pods.get(ordinal)?.argv ?? [];
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) a member: alive to kubelet, silent to its peers. */
  freeze(ordinal: number, frozen: boolean): void {
    this.pods.get(ordinal)!.child!.kill(frozen ? "SIGSTOP" : "SIGCONT");
  }

  running(ordinal: number): boolean {
    const child = this.pods.get(ordinal)?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  private startContainer(ordinal: number): void {
    const pod = this.pods.get(ordinal)!;
    const host = this.network.hosts[ordinal]!;
    const fields = { "metadata.name": `etcd-${ordinal}`, "metadata.namespace": this.config.namespace, "status.podIP": host.ip };
    const run = inNamespace(host.namespace, kubeletArgv(this.container, fields, { "/usr/local/bin/etcd": "etcd" }, this.volume(ordinal), this.configMaps));
    const log = join(this.work, `etcd-${ordinal}.${pod.logs.length}.log`);
    pod.logs.push(log);
    const child = startLogged(run, log);
    pod.child = child;
    pod.argv = run.argv;
    child.once("exit", () => {
      if (pod.exists && !pod.stopping && !this.closed && pod.child === child) {
        const restart = setTimeout(() => pod.exists && !pod.stopping && !this.closed && pod.child === child && this.startContainer(ordinal), 1000);
        restart.unref();
      }
    });
  }

  private createPod(ordinal: number): void {
    this.pods.set(ordinal, { logs: [], exists: true });
    this.startContainer(ordinal);
  }

  private deletePod(ordinal: number): Promise<void> {
    const pod = this.pods.get(ordinal);
    if (!pod) return Promise.resolve();
    if (!pod.stopping) {
      const child = pod.child;
      pod.stopping = new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }).then(() => {
        pod.exists = false;
        this.pods.delete(ordinal);
      });
    }
    return pod.stopping;
  }

  /** Starts pods 0..replicas-1 (the initial apply). */
  scaleTo(replicas: number): void {
    this.replicas = replicas;
    for (let i = 0; i < replicas; i++) if (!this.pods.has(i)) this.createPod(i);
    for (const i of [...this.pods.keys()]) if (i >= replicas) void this.deletePod(i);
  }

  /** Kills a pod's container and wipes its volume, as a lost PersistentVolume would leave it; kubelet restarts it empty. */
  async loseVolume(ordinal: number): Promise<void> {
    const pod = this.pods.get(ordinal)!;
    const child = pod.child!;
    pod.stopping = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGKILL"))));
    await pod.stopping;
    rmSync(this.volume(ordinal), { recursive: true, force: true });
    pod.stopping = undefined;
    this.startContainer(ordinal);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pods.entries()].map(async ([, pod]) => {
      const child = pod.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGKILL");
        await exited;
      }
    }));
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push([...argv]);
    const done = (exitCode: number, stdout = "", stderr = "") => settle({ argv, exitCode, stdout, stderr }, options);
    if (argv[0] !== "kubectl" || argv[1] !== "--context") throw new Error(`EtcdPods: unexpected command ${argv.join(" ")}`);
    const rest = argv.slice(3);
    const verb = rest[0];
    const ns = rest[rest.indexOf("-n") + 1];
    if (ns !== this.config.namespace) throw new Error(`EtcdPods: ${argv.join(" ")} names namespace ${ns}`);
    const ordinalIn = (name: string | undefined) => Number(/^etcd-(\d+)$/.exec(name ?? "")?.[1] ?? NaN);

    if (verb === "exec") {
      const ordinal = ordinalIn(rest[3]);
      const dash = rest.indexOf("--");
      if (!this.running(ordinal)) return done(1, "", `error: unable to upgrade connection: container not found ("etcd")`);
      return this.execIn(ordinal, rest.slice(dash + 1), argv, options);
    }
    if (verb === "scale" && rest[1] === "statefulset") {
      this.scaleTo(Number(rest.find((a) => a.startsWith("--replicas="))!.split("=")[1]));
      return done(0, "statefulset.apps/etcd scaled\n");
    }
    if (verb === "patch" && rest[1] === "configmap") {
      const patch = JSON.parse(rest[rest.indexOf("-p") + 1]!) as { data: Record<string, string> };
      Object.assign(this.configMaps[rest[2]!]!, patch.data);
      return done(0, `configmap/${rest[2]} patched\n`);
    }
    if (verb === "get" && rest[1] === "statefulset") {
      const ready = [...this.pods.keys()].filter((i) => this.running(i)).length;
      return done(0, JSON.stringify({ metadata: { name: "etcd" }, spec: { replicas: this.replicas }, status: { readyReplicas: ready } }));
    }
    if (verb === "get" && rest[1] === "pod") {
      const pod = this.pods.get(ordinalIn(rest[2]));
      return pod ? done(0, JSON.stringify({ metadata: { name: rest[2] } })) : done(1, "", `Error from server (NotFound): pods "${rest[2]}" not found`);
    }
    if (verb === "delete" && rest[1] === "pod") {
      const ordinal = ordinalIn(rest[2]);
      void this.deletePod(ordinal).then(() => ordinal < this.replicas && !this.closed && this.createPod(ordinal));
      return done(0, `pod "${rest[2]}" deleted\n`);
    }
    if (verb === "delete" && rest[1] === "pvc") {
      const ordinal = ordinalIn(/^data-(etcd-\d+)$/.exec(rest[2]!)?.[1]);
      // pvc-protection: a claim in use is only deleted once its pod is gone; the lab must not rely on that.
      if (this.pods.has(ordinal)) throw new Error(`EtcdPods: deleting the volume of pod etcd-${ordinal}, which still exists`);
      rmSync(this.volume(ordinal), { recursive: true, force: true });
      return done(0, `persistentvolumeclaim "${rest[2]}" deleted\n`);
    }
    if (verb === "logs") {
      const pod = this.pods.get(ordinalIn(rest[3]));
      const log = pod?.logs.at(rest.includes("--previous") ? -2 : -1);
      return log && existsSync(log) ? done(0, readFileSync(log, "utf8")) : done(1, "", `Error from server (BadRequest): previous terminated container "etcd" not found`);
    }
    throw new Error(`EtcdPods: unexpected kubectl call ${argv.join(" ")}`);
  }

  private execIn(ordinal: number, command: string[], argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const host = this.network.hosts[ordinal]!;
    return new Promise((resolve, reject) => {
      execFile("ip", ["netns", "exec", host.namespace, ...command], { timeout: options.timeoutMs ?? 60_000, env: { PATH: process.env.PATH ?? "" } }, (error, stdout, stderr) => {
        const exitCode = error ? (typeof (error as any).code === "number" ? (error as any).code : 1) : 0;
        try {
          resolve(settle({ argv, exitCode, stdout, stderr }, options));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  async startDetached(): Promise<number> {
    throw new Error("EtcdPods: startDetached is not modelled");
  }
  isAlive(): boolean {
    throw new Error("EtcdPods: isAlive is not modelled");
  }
  signal(): boolean {
    throw new Error("EtcdPods: signal is not modelled");
  }
  async processInfo(): Promise<undefined> {
    throw new Error("EtcdPods: processInfo is not modelled");
  }
  async processes(): Promise<never[]> {
    throw new Error("EtcdPods: processes is not modelled");
  }
}
