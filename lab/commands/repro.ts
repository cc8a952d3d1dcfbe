import { taskList } from "../cli/tasks.js";
import { type Io, type ParsedArgs } from "../cli/command.js";
import { UsageError } from "../errors.js";
import { stoppedLine } from "../cli/signals.js";
import { labNotUp } from "../checks/labUp.js";
import { parseSize } from "../config/size.js";
import { sizeFlag } from "../cli/flags.js";
import { httpRequest } from "../transfer/http.js";
import { storedProbeToken } from "../transfer/probeToken.js";
import { pushTemplate } from "../transfer/client.js";
import { loadScenarios } from "../repro/catalog.js";
import { runScenario, succeeded, verdictLines, type Phase, type ReproTools } from "../repro/scenario.js";
import { createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export { reproSpec } from "./specs.js";

/** Everything a scenario needs but the lab: real pushes and HTTP checks unless tests replace them. */
export interface ReproDeps extends CommandDeps {
  readonly push?: ReproTools["push"];
  readonly httpOk?: ReproTools["httpOk"];
}

async function httpOk(url: string, host?: string): Promise<boolean> {
  try {
    const { status } = await httpRequest(url, { host, timeoutMs: 5000 });
    return status >= 200 && status < 300;
  } catch {
    return false;
  }
}

function option(values: ParsedArgs["values"], name: string, fallback: string): string {
  return typeof values[name] === "string" ? (values[name] as string) : fallback;
}

export async function reproCommand(args: ParsedArgs, io: Io, deps: ReproDeps = {}): Promise<number> {
  const scenarios = await loadScenarios();
  if (args.flag("list")) {
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const s of scenarios) io.out(`${s.name.padEnd(width)}  ${s.summary}`);
    return 0;
  }
  const [name, ...extra] = args.positionals;
  const known = scenarios.map((s) => s.name).join(", ");
  if (!name) throw new UsageError(`name a scenario: ${known} (or --list)`);
  if (extra.length) throw new UsageError(`one scenario at a time; got ${args.positionals.join(" ")}`);
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new UsageError(`unknown scenario "${name}"; known: ${known}`);
  const size = sizeFlag(args.values, "size", "1Gi", "1Gi");
  const idleSeconds = Number(option(args.values, "idle-seconds", "350"));
  if (!Number.isInteger(idleSeconds) || idleSeconds < 1 || idleSeconds > 6000) throw new UsageError(`--idle-seconds ${option(args.values, "idle-seconds", "")}: use whole seconds from 1 to 6000`);
  const memoryLimit = option(args.values, "memory-limit", "256Mi");
  if (!parseSize(memoryLimit) || !/(Mi|Gi)$/.test(memoryLimit)) throw new UsageError(`--memory-limit ${memoryLimit}: use a size in Mi or Gi, e.g. 256Mi`);

  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits: deps.waits ?? { timeoutMs: 600_000, intervalMs: 2000 } });
  const tools: ReproTools = {
    ctx,
    options: { size, idleSeconds, memoryLimit },
    push: deps.push ?? ((options) => pushTemplate({ token: storedProbeToken(ctx.state.dir), ...options, signal: ctx.options.signal })),
    httpOk: deps.httpOk ?? httpOk,
    log: (line) => io.err(line),
    memo: {},
  };
  // A scenario breaks a running lab on purpose; without one every phase would fail and restore
  // would report a failure the user did not cause.
  const notUp = await labNotUp(ctx);
  if (notUp) {
    interrupt.dispose();
    throw new Error(notUp);
  }
  // With --json, stdout is the verdict document alone; the story goes to stderr.
  const json = args.flag("json");
  const say = json ? (line: string) => io.err(line) : (line: string) => io.out(line);
  say(`${scenario.name}: ${scenario.summary}`);
  for (const fact of scenario.facts) say(`  fact: ${fact}`);
  const renderer = rendererFor(deps);
  const wrap = async <T>(phase: Phase, run: () => Promise<T>): Promise<T> => {
    let value: T;
    await taskList([{ title: phase, task: async () => void (value = await run()) }], renderer, { exitOnError: true }).run();
    return value!;
  };
  let report;
  try {
    report = await runScenario(tools, scenario, { keep: args.flag("keep"), wrap });
  } finally {
    interrupt.dispose();
  }
  say(verdictLines(scenario, report).join("\n"));
  if (json) io.out(JSON.stringify({ ok: succeeded(report) && !interrupt.signal.aborted, ...report }, null, 2));
  if (interrupt.signal.aborted) {
    const where = report.failure ? `in ${report.failure.phase}` : "after the last phase";
    const restored = report.kept ? "the broken state is kept (--keep)" : report.restoreFailure ? "restore FAILED (above)" : "restore ran";
    io.err(stoppedLine(interrupt, `${where}; ${restored}`, report.restoreFailure || report.kept ? "npm run lab:up to put the lab back" : `npm run lab:repro -- ${scenario.name}`));
    return interrupt.exitCode;
  }
  return succeeded(report) ? 0 : 1;
}
