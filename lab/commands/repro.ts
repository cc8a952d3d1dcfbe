import { taskList } from "../cli/tasks.js";
import { UsageError, type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { parseSize } from "../config/size.js";
import { sizeFlag } from "../cli/flags.js";
import { httpRequest } from "../net/http.js";
import { pushTemplate } from "../push/client.js";
import { loadScenarios } from "../repro/catalog.js";
import { runScenario, succeeded, verdictLines, type Phase, type ReproTools } from "../repro/scenario.js";
import { LAB_FLAGS, VERBOSE_FLAG, createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export const reproSpec: CommandSpec = {
  name: "lab:repro",
  summary: "reproduce a known support issue on the lab: broken, symptom shown, fixed, symptom gone, restored",
  usage: "SCENARIO [flags] | --list",
  positionals: true,
  flags: [
    ...LAB_FLAGS,
    { name: "list", type: "boolean", description: "print the scenarios, one line each" },
    { name: "keep", type: "boolean", description: "leave the broken state in place after the verdict, for investigation" },
    { name: "size", type: "string", value: "SIZE", description: "bytes per sample push (default 1Gi)" },
    { name: "idle-seconds", type: "string", value: "N", description: "idle timeout to model in idle-timeout (default 350, an AWS NLB's; e.g. 10 for a quick run)" },
    { name: "memory-limit", type: "string", value: "SIZE", description: "limit put on the registry in registry-memory-limit (default 256Mi)" },
    VERBOSE_FLAG,
  ],
  details: `Each scenario runs: setup (break the lab), act and observe, verdict ("reproduced", or "not reproduced
here, because ..." with the evidence), fix, verify, restore. Restore runs even after a failure or
Ctrl-C, unless --keep. Exits 0 when the issue was reproduced and the fix verified.`,
  examples: ["npm run lab:repro -- --list", "npm run lab:repro -- ingress-body-size", "npm run lab:repro -- idle-timeout --idle-seconds 10", "npm run lab:repro -- registry-memory-limit --keep"],
};

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
  if (args.values.list) {
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
    push: deps.push ?? ((options) => pushTemplate({ ...options, signal: ctx.options.signal })),
    httpOk: deps.httpOk ?? httpOk,
    log: (line) => io.err(line),
    memo: {},
  };
  io.out(`${scenario.name}: ${scenario.summary}`);
  for (const fact of scenario.facts) io.out(`  fact: ${fact}`);
  const renderer = rendererFor(deps);
  const wrap = async <T>(phase: Phase, run: () => Promise<T>): Promise<T> => {
    let value: T;
    await taskList([{ title: phase, task: async () => void (value = await run()) }], renderer, { exitOnError: true }).run();
    return value!;
  };
  let report;
  try {
    report = await runScenario(tools, scenario, { keep: args.values.keep === true, wrap });
  } finally {
    interrupt.dispose();
  }
  io.out(verdictLines(scenario, report).join("\n"));
  if (interrupt.signal.aborted) return 130;
  return succeeded(report) ? 0 : 1;
}
