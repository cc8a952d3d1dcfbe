import { writeFileSync } from "node:fs";
import { api } from "../cluster/api.js";
import type { ControlPlane } from "../cluster/controlPlane.js";
import type { FakeRunner } from "./fakeRunner.js";

/**
 * `minikube tunnel -p P` on the docker driver, played for test/support/fakeCluster.ts. Sources:
 *  - it sets LoadBalancer status to 127.0.0.1 while it forwards (test/cluster/controllers.ts,
 *    startLoadBalancerPublisher, active while `forwarding`);
 *  - it takes one lock per profile and a second one exits 111 (cmd/minikube/cmd/tunnel.go mustLockOrExit);
 *  - it clears the LoadBalancer status only on SIGINT (pkg/minikube/tunnel/kic/ssh_tunnel.go Start:
 *    LoadBalancerEmulator.Cleanup on ctx.Done), so a killed tunnel leaves 127.0.0.1 behind;
 *  - after Docker Desktop restarts it stays alive with stale ports and forwards nothing (tunnel.go
 *    reads the SSH port once; pkg/drivers/kic/oci/oci.go publishes random ports).
 * Its forwards are played by `onForwards` (the test's listeners on the LoadBalancer ports).
 */
export class PlayedTunnel {
  /** Turns the tunnel's LoadBalancer forwards on or off (the test's listeners on those ports). */
  onForwards?: (on: boolean) => void | Promise<void>;
  /** The tunnel does not exit on SIGINT (stuck in its cleanup): only SIGKILL ends it. */
  hangsOnSigint = false;
  private pid: number | undefined;
  private userPid: number | undefined;
  private stale = false;
  /** The lab's tunnel got SIGINT and is in its cleanup. */
  private stopping = false;

  constructor(
    private readonly runner: FakeRunner,
    private readonly profileName: string,
    /** The API server the tunnel publishes to; none in tests without a control plane. */
    private readonly controlPlane: ControlPlane | undefined,
    private readonly profileRunning: () => boolean,
  ) {
    this.runner.onDetached = (argv, log, pid) => {
      if (argv[0] === "minikube" && argv[1] === "tunnel") this.started(log, pid);
    };
    this.runner.onSignal = (pid, signal) => {
      if (pid !== this.pid || signal !== "SIGINT") return false;
      if (this.hangsOnSigint) return true;
      // minikube tunnel on SIGINT: its loop stops, then Cleanup (LoadBalancer status off), its ssh
      // forwards stop, and it exits.
      this.stopping = true;
      void this.cleanup().finally(() => this.runner.die(pid));
      return true;
    };
  }

  private started(log: string, pid: number): void {
    const other = this.process();
    if (other !== undefined && other !== pid) {
      // A second tunnel for a profile: mustLockOrExit (cmd/minikube/cmd/tunnel.go) fails on
      // .tunnel_lock and exits 111 (reason.SvcTunnelAlreadyRunning); exit.Message prints to stderr.
      writeFileSync(log, "❌  Exiting due to TUNNEL_ALREADY_RUNNING: Another tunnel process is already running, terminate the existing instance to start a new one\n", { flag: "a" });
      this.runner.die(pid);
      return;
    }
    this.pid = pid;
    this.stale = false;
    this.stopping = false;
    void this.onForwards?.(true);
    // The docker driver's tunnel prints this before its loop (cmd/minikube/cmd/tunnel.go outputTunnelStarted).
    writeFileSync(log, "✅  Tunnel successfully started\n\n📌  NOTE: Please do not close this terminal as this process must stay alive for the tunnel to be accessible ...\n\n", { flag: "a" });
    void this.logForwards(log);
  }

  /**
   * The lines the tunnel's first loop prints to stdout (pkg/minikube/tunnel/kic/ssh_tunnel.go Start,
   * ssh_conn.go createSSHConn and startAndWait): per LoadBalancer "Starting tunnel for service";
   * per Ingress (ports 80 and 443, always privileged) the privileged-ports warning and "sudo
   * permission will be asked for it." first. What sudo and ssh then say goes to minikube's klog
   * file (logOutput), never here.
   */
  private async logForwards(log: string): Promise<void> {
    if (!this.controlPlane) return;
    const lines: string[] = [];
    const services = (await api(this.controlPlane, "GET", "/api/v1/services")).body?.items ?? [];
    for (const svc of services) if (svc.spec.type === "LoadBalancer") lines.push(`🔗  Starting tunnel for service ${svc.metadata.name}.`);
    const ingresses = (await api(this.controlPlane, "GET", "/apis/networking.k8s.io/v1/ingresses")).body?.items ?? [];
    for (const ing of ingresses)
      lines.push(
        `❗  The service/ingress ${ing.metadata.name} requires privileged ports to be exposed: [80 443]`,
        "🔑  sudo permission will be asked for it.",
        `🔗  Starting tunnel for service ${ing.metadata.name}.`,
      );
    if (lines.length) writeFileSync(log, lines.join("\n") + "\n", { flag: "a" });
  }

  /** The pid of a live `minikube tunnel` for this profile, the lab's or one the user started. */
  private process(): number | undefined {
    const isTunnel = (pid: number | undefined) => pid !== undefined && /(^|\/)minikube tunnel /.test(this.runner.commandOf(pid) ?? "");
    if (isTunnel(this.pid)) return this.pid;
    return isTunnel(this.userPid) ? this.userPid : undefined;
  }

  /** The user runs `minikube tunnel -p P` in a terminal: it holds the profile's lock and forwards. */
  userStarts(): number {
    this.userPid = this.runner.spawnProcess(`/opt/homebrew/bin/minikube tunnel -p ${this.profileName}`);
    this.stale = false;
    void this.onForwards?.(true);
    return this.userPid;
  }

  /** Whether a tunnel forwards the LoadBalancers now: alive and not stale. */
  get forwarding(): boolean {
    return this.process() !== undefined && !this.stale && !(this.stopping && this.process() === this.pid);
  }

  /** Whether the lab's tunnel is alive. */
  get alive(): boolean {
    return this.pid !== undefined && this.process() === this.pid;
  }

  /** The tunnel is killed (SIGKILL, a crash): no cleanup, so the LoadBalancers keep 127.0.0.1. */
  kill(): void {
    if (this.pid !== undefined) this.runner.die(this.pid);
    void this.onForwards?.(false);
  }

  /** The node container went away under a live tunnel: it keeps running and forwards nothing. */
  goStale(): void {
    this.stale = true;
    void this.onForwards?.(false);
  }

  /** After a reboot: the tunnel is gone and its pid now belongs to another program. */
  rebootReusesPid(command = "/System/Library/CoreServices/Spotlight.app/Contents/MacOS/Spotlight"): number {
    const pid = this.pid!;
    this.runner.die(pid);
    void this.onForwards?.(false);
    this.runner.spawnProcess(command, pid);
    return pid;
  }

  private async cleanup(): Promise<void> {
    void this.onForwards?.(false);
    if (!this.controlPlane || !this.profileRunning()) return;
    const services = (await api(this.controlPlane, "GET", "/api/v1/services")).body?.items ?? [];
    for (const svc of services) {
      if (svc.spec.type !== "LoadBalancer" || !svc.status?.loadBalancer?.ingress?.length) continue;
      const { namespace, name } = svc.metadata;
      await api(this.controlPlane, "PATCH", `/api/v1/namespaces/${namespace}/services/${name}/status`, { status: { loadBalancer: { ingress: null } } }, "application/merge-patch+json");
    }
  }
}
