import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import type { LabContext } from "../context.js";
import type { ProcessInfo } from "../exec/types.js";
import { getOne } from "./kubectl.js";
import { NAMES } from "../topology/names.js";
import type { TunnelRecord } from "../state.js";
import { notYet, ready, waitFor } from "../wait.js";
import { LabError } from "../errors.js";

/**
 * `minikube tunnel` in the background. It stays in the foreground, so it is started detached (its own
 * process group: setsid, libuv src/unix/process.c) with its identity and log in .lab/; it cleans up
 * (stops its ssh forwards, takes 127.0.0.1 off the LoadBalancers) only on SIGINT
 * (minikube cmd/minikube/cmd/tunnel.go: signal.Notify(ctrlC, os.Interrupt); pkg/minikube/tunnel/kic/
 * ssh_tunnel.go Start: LoadBalancerEmulator.Cleanup on ctx.Done), so that is how it is stopped.
 *
 * With the docker driver each LoadBalancer becomes `ssh -N -L <port>:<ClusterIP>:<port>` on
 * 127.0.0.1, run as the user when every port is >= 1024 (pkg/minikube/tunnel/kic/ssh_conn.go
 * createSSHConn): the lab's LoadBalancer ports are, so they need no sudo. Each Ingress gets 80/443,
 * always through `sudo ssh`; that goroutine's failure is only logged (ssh_tunnel.go
 * startConnectionIngress), so the LoadBalancer forwards keep working.
 *
 * What the lab checks, and why:
 *  - identity: a pid alone can belong to another process after a reboot, so the record keeps the
 *    process's start time and command line (ps lstart, command) and both must match before the lab
 *    trusts or signals it;
 *  - health: the tunnel reads the node's SSH port and builds its API client once
 *    (cmd/minikube/cmd/tunnel.go: oci.ForwardedPort(…, 22), kapi.Client), and the kic node's ports
 *    are random host ports that change when its container restarts (pkg/drivers/kic/oci/oci.go
 *    `--publish=127.0.0.1::<port>`), so a tunnel alive across a Docker Desktop restart forwards
 *    nothing; an ssh child that died is never restarted while its Service is unchanged
 *    (ssh_tunnel.go startConnection returns early for a known Service). The lab judges the tunnel by
 *    what it is for: 127.0.0.1:<controller.port> and <registry.port> accept a TCP connection;
 *  - one per profile: a second tunnel exits 111 with TUNNEL_ALREADY_RUNNING (tunnel.go
 *    mustLockOrExit on ~/.minikube/profiles/<p>/.tunnel_lock; pkg/minikube/reason/reason.go
 *    SvcTunnelAlreadyRunning, exitcodes.go ExSvcConflict = 111): the lab adopts the running one.
 */
export const TUNNEL_STARTED_LINE = "Tunnel successfully started";
export const TUNNEL_ALREADY_RUNNING = "TUNNEL_ALREADY_RUNNING";

/** A tunnel younger than this may not have opened its forwards yet (minikube polls Services every second). */
export const TUNNEL_GRACE_MS = 15_000;

export type TunnelStatus =
  | { running: true; pid: number; adopted: boolean; detail: string }
  | { running: false; reason: string; /** alive and ours, but not forwarding: restart it */ stale?: boolean };

/** The profile a `minikube tunnel` command line serves (-p P, -p=P, --profile P, --profile=P; default "minikube"), or undefined. */
export function tunnelProfileOf(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  const at = words.findIndex((w, i) => /(^|\/)minikube$/.test(w) && words[i + 1] === "tunnel");
  if (at === -1) return undefined;
  const rest = words.slice(at + 2);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === "-p" || w === "--profile") return rest[i + 1];
    const m = /^(?:-p|--profile)=(.+)$/.exec(w);
    if (m) return m[1];
  }
  return "minikube";
}

/** Whether the live process is the one recorded: same start time and a `minikube tunnel` for the profile. */
function sameProcess(record: TunnelRecord, live: ProcessInfo | undefined, profile: string): boolean {
  if (!live) return false;
  if (tunnelProfileOf(live.command) !== profile) return false;
  return record.processStart === undefined || record.processStart === live.started;
}

/** A TCP connect to 127.0.0.1:port within a second: what `ssh -L port:…` (the tunnel's forward) accepts. */
export function portAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Whether the lab's LoadBalancer forwards answer, or "none yet" when there is no controller
 * LoadBalancer to forward (before the first apply): then there is nothing to judge by.
 */
export async function forwardsAnswer(ctx: LabContext): Promise<"answer" | "none yet" | string> {
  const svc = await getOne(ctx, ["service", NAMES.controllerService, "-n", ctx.config.namespace]).catch(() => undefined);
  if (svc?.spec?.type !== "LoadBalancer") return "none yet";
  for (const [key, port] of [["controller.port", ctx.config.controller.port], ["registry.port", ctx.config.registry.port]] as const)
    if (!(await portAnswers(port))) return `127.0.0.1:${port} (${key}) refuses connections`;
  return "answer";
}

/** The recorded tunnel if its process is still the one recorded; why not otherwise. */
async function liveRecord(ctx: LabContext): Promise<{ record: TunnelRecord; live: ProcessInfo } | { reason: string }> {
  const record = ctx.state.tunnel();
  if (!record || record.pid === undefined) return { reason: "not started by the lab" };
  if (record.profile !== ctx.config.profile) return { reason: `the recorded tunnel is for profile ${record.profile}` };
  const live = await ctx.runner.processInfo(record.pid);
  if (!live) return { reason: `pid ${record.pid} has exited (log: ${record.log})` };
  if (!sameProcess(record, live, ctx.config.profile))
    return { reason: `pid ${record.pid} now belongs to another process (${live.command.slice(0, 80)}), not the tunnel started ${record.startedAt}` };
  return { record, live };
}

/** Whether the lab's tunnel process is alive and still the one it recorded (no cluster calls). */
export async function tunnelProcessAlive(ctx: LabContext): Promise<boolean> {
  return "live" in (await liveRecord(ctx));
}

/**
 * The tunnel's state: identity first, then its forwards (unless `forwards: false`). A tunnel the
 * lab did not record but the user runs for this profile counts, as adopted.
 */
export async function tunnelStatus(ctx: LabContext, options: { forwards?: boolean } = {}): Promise<TunnelStatus> {
  let found = await liveRecord(ctx);
  let adopted = ctx.state.tunnel()?.adopted === true;
  if (!("live" in found)) {
    const user = await findUserTunnel(ctx);
    if (!user) return { running: false, reason: found.reason };
    found = { record: { pid: user.pid, profile: ctx.config.profile, startedAt: user.started, log: "", adopted: true }, live: user };
    adopted = true;
  }
  const { record, live } = found;
  const who = adopted ? `pid ${live.pid}, started outside the lab` : `pid ${live.pid}`;
  if (options.forwards === false) return { running: true, pid: live.pid, adopted, detail: who };
  const forwards = await forwardsAnswer(ctx);
  if (forwards === "answer") return { running: true, pid: live.pid, adopted, detail: `${who}, forwards answer` };
  if (forwards === "none yet") return { running: true, pid: live.pid, adopted, detail: `${who}, no LoadBalancer to forward yet` };
  // Young and never seen forwarding: still opening its forwards. Seen forwarding once: stale now.
  if (!record.forwardedAt && Date.now() - Date.parse(record.startedAt) < TUNNEL_GRACE_MS) return { running: true, pid: live.pid, adopted, detail: `${who}, starting` };
  return { running: false, stale: true, reason: `${who} is alive but ${forwards}: a stale tunnel (Docker Desktop or the node restarted?)` };
}

/** A `minikube tunnel` for this profile that the lab did not start (the user's, in a terminal). */
async function findUserTunnel(ctx: LabContext): Promise<ProcessInfo | undefined> {
  if (ctx.dryRun) return undefined;
  const all = await ctx.runner.processes().catch(() => []);
  return all.find((p) => tunnelProfileOf(p.command) === ctx.config.profile);
}

function logTail(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-5).join("\n") : "";
}

/** Starts the tunnel unless a healthy one runs; restarts a stale one the lab started; returns what it did. */
export async function ensureTunnel(ctx: LabContext): Promise<"running" | "started" | "restarted" | "adopted"> {
  const before = await tunnelStatus(ctx);
  if (before.running) {
    if (before.adopted && !ctx.dryRun && ctx.state.tunnel()?.pid !== before.pid) await adopt(ctx, before.pid);
    return before.adopted ? "adopted" : "running";
  }
  if (before.stale) {
    if (ctx.state.tunnel()?.adopted)
      throw new LabError(`the minikube tunnel you started ${before.reason.replace(/^pid \d+, started outside the lab /, "")}`, {
        hint: `stop it (Ctrl-C in its terminal), then npm run lab:up starts a fresh one`,
      });
    await stopTunnel(ctx);
  }
  const log = ctx.state.path("tunnel.log");
  const argv = ["minikube", "tunnel", "-p", ctx.config.profile];
  if (ctx.dryRun) {
    ctx.plan.push(`${argv.join(" ")} > ${log} 2>&1 &   (detached; pid, start time and command in ${ctx.state.path("tunnel.json")})`);
    return "started";
  }
  const offset = existsSync(log) ? readFileSync(log, "utf8").length : 0;
  const pid = await ctx.runner.startDetached(argv, log);
  const info = await ctx.runner.processInfo(pid);
  ctx.state.setTunnel({ pid, profile: ctx.config.profile, startedAt: new Date().toISOString(), log, command: info?.command, processStart: info?.started });
  // The probe reports a failure as a value: waitFor counts a thrown error as "not yet".
  const outcome = await waitFor(
    "minikube tunnel to start",
    async () => {
      const text = existsSync(log) ? readFileSync(log, "utf8").slice(offset) : "";
      if (text.includes(TUNNEL_STARTED_LINE)) return ready("started" as const);
      if (ctx.runner.isAlive(pid)) return notYet("no 'Tunnel successfully started' in its log yet");
      if (text.includes(TUNNEL_ALREADY_RUNNING)) return ready("locked" as const);
      return ready("exited" as const);
    },
    { ...ctx.options.waits, timeoutMs: Math.min(ctx.options.waits.timeoutMs, 60_000), signal: ctx.options.signal },
  );
  if (outcome === "locked") {
    const other = await findUserTunnel(ctx);
    if (other) {
      await adopt(ctx, other.pid);
      return "adopted";
    }
    ctx.state.setTunnel(undefined);
    throw new LabError(`minikube tunnel exited with TUNNEL_ALREADY_RUNNING: another tunnel holds profile ${ctx.config.profile}'s lock, but no minikube tunnel process for it is visible`, {
      hint: `find it with ps -A -o pid,command | grep 'minikube tunnel', stop it, then npm run lab:up`,
    });
  }
  if (outcome === "exited") {
    ctx.state.setTunnel(undefined);
    throw new LabError(`minikube tunnel exited at once; its log ends:\n${logTail(log)}`, {
      hint: `run \`minikube tunnel -p ${ctx.config.profile}\` in a terminal to see why`,
    });
  }
  return before.stale || before.reason.startsWith("pid") ? "restarted" : "started";
}

/** Notes that the recorded tunnel's forwards answered: from now on, refusing means stale. */
export function markForwarding(ctx: LabContext): void {
  const record = ctx.state.tunnel();
  if (!ctx.dryRun && record && !record.forwardedAt) ctx.state.setTunnel({ ...record, forwardedAt: new Date().toISOString() });
}

async function adopt(ctx: LabContext, pid: number): Promise<void> {
  const info = await ctx.runner.processInfo(pid);
  ctx.state.setTunnel({ pid, profile: ctx.config.profile, startedAt: new Date().toISOString(), log: "", command: info?.command, processStart: info?.started, adopted: true });
}

/**
 * Stops the lab's tunnel with SIGINT so it removes its forwards and LoadBalancer addresses, then
 * kills what is left of its process group (its ssh children) if it does not exit in 15 s (or the
 * command's shorter wait). A pid
 * that now belongs to another process, or a tunnel the user started, is never signalled.
 */
export async function stopTunnel(ctx: LabContext): Promise<"stopped" | "not running" | "left to its owner"> {
  const found = await liveRecord(ctx);
  if (!("live" in found)) {
    if (!ctx.dryRun) ctx.state.setTunnel(undefined);
    return "not running";
  }
  const { record } = found;
  const pid = record.pid!;
  if (record.adopted) {
    if (!ctx.dryRun) ctx.state.setTunnel(undefined);
    return "left to its owner";
  }
  if (ctx.dryRun) {
    ctx.plan.push(`kill -INT ${pid}   (minikube tunnel; then kill -KILL -${pid}, its process group, if it is still there after 15 s)`);
    return "stopped";
  }
  ctx.runner.signal(pid, "SIGINT");
  try {
    await waitFor(
      `minikube tunnel (pid ${pid}) to exit`,
      async () => (ctx.runner.isAlive(pid) ? notYet("still running") : ready(true)),
      { timeoutMs: Math.min(15_000, ctx.options.waits.timeoutMs), intervalMs: Math.min(ctx.options.waits.intervalMs, 250) },
    );
  } catch {
    // Still there: the whole group goes, ssh children included (kill(2) with -pgid).
    ctx.runner.signal(pid, "SIGKILL", { group: true });
  }
  ctx.state.setTunnel(undefined);
  return "stopped";
}
