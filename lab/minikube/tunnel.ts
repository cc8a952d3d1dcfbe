import { existsSync, readFileSync } from "node:fs";
import type { LabContext } from "../context.js";
import { notYet, ready, waitFor } from "../wait.js";

/**
 * `minikube tunnel` in the background (kubernetes/minikube cmd/minikube/cmd/tunnel.go;
 * https://minikube.sigs.k8s.io/docs/handbook/accessing/). It stays in the
 * foreground, so it is started detached with its pid and log in .lab/; it cleans up only on SIGINT,
 * so that is how it is stopped. With the docker driver each LoadBalancer becomes `ssh -L` on
 * 127.0.0.1 as the user: the lab's LoadBalancer ports are >= 1024, so the tunnel never needs sudo.
 * It also tries to forward 80/443 for Ingresses with `sudo ssh`; detached it has no terminal, and
 * sudo without one fails at once instead of prompting (sudo(8)), so nothing waits on an invisible
 * password prompt. That failure stays local: each forward runs in its own goroutine whose error is
 * only logged, once per Ingress (minikube pkg/minikube/tunnel/kic/ssh_tunnel.go,
 * startConnectionIngress), so the LoadBalancer forwards keep working. The lab reaches its ingress
 * through the --ports mapping instead.
 */
export const TUNNEL_STARTED_LINE = "Tunnel successfully started";

export type TunnelStatus = { running: true; pid: number } | { running: false; reason: string };

export function tunnelStatus(ctx: LabContext): TunnelStatus {
  const record = ctx.state.tunnel();
  if (!record) return { running: false, reason: "not started by the lab" };
  if (record.profile !== ctx.config.profile) return { running: false, reason: `the recorded tunnel is for profile ${record.profile}` };
  if (!ctx.runner.isAlive(record.pid)) return { running: false, reason: `pid ${record.pid} has exited (log: ${record.log})` };
  return { running: true, pid: record.pid };
}

function logTail(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-5).join("\n") : "";
}

/** Starts the tunnel unless the lab's one is alive; returns what it did. */
export async function ensureTunnel(ctx: LabContext): Promise<"running" | "started" | "restarted"> {
  const before = tunnelStatus(ctx);
  if (before.running) return "running";
  const log = ctx.state.path("tunnel.log");
  const argv = ["minikube", "tunnel", "-p", ctx.config.profile];
  if (ctx.dryRun) {
    ctx.plan.push(`${argv.join(" ")} > ${log} 2>&1 &   (detached; pid in ${ctx.state.path("tunnel.json")})`);
    return "started";
  }
  const offset = existsSync(log) ? readFileSync(log, "utf8").length : 0;
  const pid = await ctx.runner.startDetached(argv, log);
  ctx.state.setTunnel({ pid, profile: ctx.config.profile, startedAt: new Date().toISOString(), log });
  await waitFor(
    "minikube tunnel to start",
    async () => {
      const text = existsSync(log) ? readFileSync(log, "utf8").slice(offset) : "";
      if (text.includes(TUNNEL_STARTED_LINE)) return ready(true);
      if (!ctx.runner.isAlive(pid)) {
        // Another tunnel holds the profile's lock (exit 111, v1.30+): it serves the LoadBalancers too.
        if (text.includes("TUNNEL_ALREADY_RUNNING")) return ready(true);
        throw Object.assign(new Error(`minikube tunnel exited at once; its log ends:\n${logTail(log)}`), {
          hint: `run \`minikube tunnel -p ${ctx.config.profile}\` in a terminal to see why`,
        });
      }
      return notYet("no 'Tunnel successfully started' in its log yet");
    },
    { ...ctx.options.waits, timeoutMs: Math.min(ctx.options.waits.timeoutMs, 60_000), signal: ctx.options.signal },
  );
  return before.reason.startsWith("pid") ? "restarted" : "started";
}

/** Stops the lab's tunnel with SIGINT so it removes its routes and forwards; safe when none runs. */
export async function stopTunnel(ctx: LabContext): Promise<"stopped" | "not running"> {
  const record = ctx.state.tunnel();
  if (!record || !ctx.runner.isAlive(record.pid)) {
    if (!ctx.dryRun) ctx.state.setTunnel(undefined);
    return "not running";
  }
  if (ctx.dryRun) {
    ctx.plan.push(`kill -INT ${record.pid}   (minikube tunnel)`);
    return "stopped";
  }
  ctx.runner.signal(record.pid, "SIGINT");
  try {
    await waitFor(
      `minikube tunnel (pid ${record.pid}) to exit`,
      async () => (ctx.runner.isAlive(record.pid) ? notYet("still running") : ready(true)),
      { timeoutMs: 15_000, intervalMs: Math.min(ctx.options.waits.intervalMs, 250) },
    );
  } catch {
    ctx.runner.signal(record.pid, "SIGKILL");
  }
  ctx.state.setTunnel(undefined);
  return "stopped";
}
