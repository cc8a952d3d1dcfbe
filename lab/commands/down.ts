import { type Io, type ParsedArgs } from "../cli/command.js";
import { UsageError } from "../errors.js";
import { downSteps, type DownOutcome } from "../lifecycle/down.js";
import { stoppedLine } from "../cli/signals.js";
import { InterruptedError, runSteps } from "../lifecycle/step.js";
import { createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export { downSpec } from "./specs.js";

export async function downCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const purge = args.flag("purge");
  const deleteCluster = args.flag("delete-cluster");
  if (deleteCluster && !purge)
    throw new UsageError("--delete-cluster deletes the registry and etcd data with the cluster; add --purge to confirm that");
  const interrupt = interruptible(deps);
  const outcome: DownOutcome = {};
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits: deps.waits ?? { timeoutMs: 180_000, intervalMs: 1000 } });
  try {
    if (purge && !args.flag("yes") && !ctx.dryRun) {
      const what = `the registry's templates and etcd's data in namespace ${ctx.config.namespace}${deleteCluster ? ` and the minikube profile ${ctx.config.profile}` : ""}`;
      if (!ctx.options.interactive)
        throw new UsageError(`--purge deletes ${what}; add --yes to confirm when there is no terminal to ask on`);
      if (!(await ctx.options.confirm(`Delete ${what}? This cannot be undone.`))) {
        io.err("anka-lab: nothing deleted.");
        return 1;
      }
    }
    await runSteps(ctx, "lab:down", downSteps({ purge, deleteCluster }, outcome), rendererFor(deps));
  } catch (error) {
    if (error instanceof InterruptedError || interrupt.signal.aborted) {
      const step = error instanceof InterruptedError ? `during "${error.step}"` : "before the first step";
      if (error instanceof InterruptedError) for (const line of error.undone) io.err(line);
      io.err(stoppedLine(interrupt, step, "npm run lab:down again (safe to run twice)"));
      return interrupt.exitCode;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
  if (outcome.nothing) {
    io.out(`Nothing to take down: ${outcome.nothing}.`);
    return 0;
  }
  if (ctx.dryRun) {
    io.out(ctx.plan.length ? ctx.formatPlan() : "Plan (--dry-run): nothing to do; the lab is already down.");
    return 0;
  }
  if (purge && outcome.kept) {
    io.err(`anka-lab: the lab is down, but --purge could not keep its promise: ${outcome.kept}`);
    return 1;
  }
  const node = ctx.usesMinikube && !deleteCluster ? ` The minikube node ${ctx.config.profile} keeps running (minikube stop -p ${ctx.config.profile} frees its CPU and memory).` : "";
  io.out((purge ? "The lab is down and its data deleted." : "The lab is down. Its data is kept: npm run lab:up brings it back.") + node);
  return 0;
}
