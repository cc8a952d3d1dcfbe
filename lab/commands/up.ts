import { UsageError, type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { green } from "../cli/color.js";
import { stopTunnel, tunnelStatus } from "../minikube/tunnel.js";
import { InterruptedError, runSteps } from "../steps/step.js";
import { upSteps, upSummary } from "../up.js";
import { DRY_RUN_FLAG, LAB_FLAGS, VERBOSE_FLAG, createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export const upSpec: CommandSpec = {
  name: "lab:up",
  summary: "bring up the HA Anka Build Cloud lab on minikube (safe to run again)",
  flags: [
    ...LAB_FLAGS,
    { name: "hosts", type: "boolean", description: "add the lab's hostnames to /etc/hosts without asking (uses sudo)" },
    { name: "timeout", type: "string", value: "SECONDS", description: "deadline for each wait (default 900)" },
    DRY_RUN_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Steps, each skipped when its state already holds:
  1. preflight checks (the same as lab:doctor); a blocker stops here
  2. the minikube profile, created with sized resources, a pinned Kubernetes version and runtime,
     and the ingress published on 127.0.0.1:<ingress.port>
  3. the kube context's default namespace
  4. the ingress addon, and its controller Ready
  5. the StorageClass for the shared registry volume
  6. minikube tunnel in the background (pid and log in .lab/)
  7. server-side apply of the rendered topology, pruning what the lab no longer renders
  8. waits: etcd quorum, build-cloud pods Ready, LoadBalancer addresses, controller and registry answering
  9. /etc/hosts entries, only with --hosts or your yes
A failed wait prints pod state, events, logs and the likely cause. Ctrl-C stops cleanly; the next
lab:up carries on from the state in .lab/.`,
  examples: ["npm run lab:up", "npm run lab:up -- --hosts", "npm run lab:up -- --dry-run", "npm run lab:up -- --context my-cluster --set registry.storageClass=efs"],
};

function timeoutMs(args: ParsedArgs): number {
  const raw = args.values.timeout;
  if (raw === undefined) return 900_000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new UsageError(`--timeout ${String(raw)}: expected a whole number of seconds, e.g. --timeout 600`);
  return seconds * 1000;
}

export async function upCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const waits = deps.waits ?? { timeoutMs: timeoutMs(args), intervalMs: 2000 };
  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits });
  const tunnelWasRunning = tunnelStatus(ctx).running;
  try {
    await runSteps(ctx, "lab:up", upSteps({ addHosts: args.values.hosts === true, hostFacts: deps.hostFacts }), rendererFor(deps));
  } catch (error) {
    if (error instanceof InterruptedError || interrupt.signal.aborted) {
      // No orphan: a tunnel this run started goes with it; the next lab:up starts it again.
      if (!tunnelWasRunning && !ctx.dryRun) await stopTunnel(ctx);
      const step = error instanceof InterruptedError ? error.step : "unknown";
      io.err(`anka-lab: interrupted during "${step}"; .lab/state.json records it. Run npm run lab:up to carry on.`);
      return 130;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
  if (ctx.dryRun) {
    io.out(ctx.formatPlan());
    return 0;
  }
  io.out(green(await upSummary(ctx)));
  return 0;
}
