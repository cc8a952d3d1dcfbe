import { isAbsolute, join, relative } from "node:path";
import { type Io, type ParsedArgs } from "../cli/command.js";
import { UsageError } from "../errors.js";
import { green } from "../cli/color.js";
import { stoppedLine } from "../cli/signals.js";
import { decideHosts } from "../lifecycle/steps/hosts.js";
import { InterruptedError, runSteps } from "../lifecycle/step.js";
import { upEndpoints, upSteps, upSummary } from "../lifecycle/up.js";
import { createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export { upSpec } from "./specs.js";

/** Where a stop before the first step happened: at the question, asked before the task list. */
const QUESTION = "the /etc/hosts question";

function timeoutMs(args: ParsedArgs): number {
  const raw = args.string("timeout");
  if (raw === undefined) return 900_000;
  // Decimal digits only, as the config's counts: Number() would also take "1e3", "0x10" and " 5".
  const seconds = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new UsageError(`--timeout ${String(raw)}: expected a whole number of seconds, e.g. --timeout 600`);
  return seconds * 1000;
}

export async function upCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  // --timeout wins over everything, a test's waits included, so a test can show it is honoured.
  const timeout = timeoutMs(args);
  const waits = args.string("timeout") !== undefined ? { intervalMs: deps.waits?.intervalMs ?? 2000, timeoutMs: timeout } : (deps.waits ?? { timeoutMs: timeout, intervalMs: 2000 });
  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, { ...withSignal(deps, interrupt.signal), waits }, { waits });
  let step = QUESTION;
  try {
    // Asked here, before the task list draws: under listr2's live view a question is never seen.
    const hosts = await decideHosts(ctx, args.flag("hosts"));
    step = "unknown";
    await runSteps(ctx, "lab:up", upSteps({ hosts, hostFacts: deps.hostFacts }), rendererFor(deps));
  } catch (error) {
    if (error instanceof InterruptedError || interrupt.signal.aborted) {
      // runSteps has run the undos of the steps so far (a tunnel this run started is stopped).
      if (error instanceof InterruptedError) {
        step = error.step;
        for (const line of error.undone) io.err(line);
      }
      // Only a run that reached its steps has recorded where it stopped.
      const stateFile = join(ctx.state.dir, "state.json");
      const near = relative(process.cwd(), stateFile);
      const statePath = near.startsWith("..") || isAbsolute(near) ? stateFile : near;
      const recorded = ctx.dryRun || step === QUESTION ? "" : `; ${statePath} records it`;
      io.err(stoppedLine(interrupt, `during "${step}"${recorded}`, "npm run lab:up carries on from there"));
      return interrupt.exitCode;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
  const json = args.flag("json");
  if (ctx.dryRun) {
    io.out(json ? JSON.stringify({ ok: true, dryRun: true, plan: ctx.plan }, null, 2) : ctx.formatPlan());
    return 0;
  }
  io.out(json ? JSON.stringify({ ok: true, ...(await upEndpoints(ctx)) }, null, 2) : green(await upSummary(ctx)));
  return 0;
}
