import { createInterface } from "node:readline/promises";
import type { CommandSpec, Io, ParsedArgs } from "../cli/command.js";
import { loadConfigFromArgs } from "../cli/config.js";
import { LabContext, type WaitTimings } from "../context.js";
import type { HostFacts } from "../checks/doctor.js";
import { ExecaRunner, type Runner } from "../exec/runner.js";
import { StateStore, defaultStateDir } from "../state.js";
import { chooseRenderer, type RendererChoice } from "../cli/renderer.js";
import { interruptFrom, type Interrupt } from "../cli/signals.js";

/** What tests replace; production leaves it empty. */
export interface CommandDeps {
  readonly runner?: Runner;
  readonly hostFacts?: HostFacts;
  readonly waits?: WaitTimings;
  readonly hostsFile?: string;
  readonly interactive?: boolean;
  readonly confirm?: (question: string) => Promise<boolean>;
  readonly signal?: AbortSignal;
  readonly renderer?: RendererChoice;
  readonly needsSudo?: boolean;
}

export { CONTEXT_FLAG, DRY_RUN_FLAG, LAB_FLAGS, VERBOSE_FLAG } from "./specs.js";

/**
 * Asks a y/N question on the terminal (stderr, so stdout stays for results). Callers ask before a
 * task list starts, never under listr2's live view, which would redraw over it. readline puts the
 * terminal in raw mode, so a Ctrl-C typed here reaches readline as a key, not as a signal, and
 * without a listener readline would only pause (https://nodejs.org/api/readline.html#event-sigint):
 * it is raised as a real SIGINT for the one handler in lab/cli/signals.ts.
 */
export async function askOnTerminal(question: string, interrupt?: Interrupt): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  rl.on("SIGINT", () => process.kill(process.pid, "SIGINT"));
  try {
    const answer = await rl.question(`${question} [y/N] `, interrupt ? { signal: interrupt.signal } : {});
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    if (interrupt?.signal.aborted) {
      process.stderr.write("\n");
      throw interrupt.signal.reason;
    }
    throw error;
  } finally {
    rl.close();
  }
}

export function createContext(args: ParsedArgs, io: Io, deps: CommandDeps, defaults: { waits: WaitTimings }): LabContext {
  const values = { ...args.values };
  if (typeof values.context === "string") values.set = [...((values.set as string[]) ?? []), `context=${values.context}`];
  const { config } = loadConfigFromArgs(values, io.env);
  const verbose = values.verbose === true;
  const signal = deps.signal ?? new AbortController().signal;
  // The runner stops the child processes running when the signal aborts (kubectl, minikube, curl).
  const runner = deps.runner ?? new ExecaRunner(verbose ? (line) => io.err(line) : undefined, signal);
  return new LabContext(config, runner, new StateStore(defaultStateDir(io.env)), {
    dryRun: values["dry-run"] === true,
    waits: deps.waits ?? defaults.waits,
    signal,
    hostsFile: deps.hostsFile ?? io.env.ANKA_LAB_HOSTS_FILE ?? "/etc/hosts",
    // A question needs someone to read it (stderr) and answer it (stdin); --json is for scripts.
    interactive: deps.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true && !io.env.CI && values.json !== true),
    confirm: deps.confirm ?? ((question) => askOnTerminal(question, interruptFrom(signal))),
    needsSudo: deps.needsSudo ?? process.getuid?.() !== 0,
  });
}

export function rendererFor(deps: CommandDeps): RendererChoice {
  return deps.renderer ?? chooseRenderer();
}

export { interruptible } from "../cli/signals.js";

export function withSignal(deps: CommandDeps, signal: AbortSignal): CommandDeps {
  return { ...deps, signal };
}

export type LabCommand = (args: ParsedArgs, io: Io, deps?: CommandDeps) => Promise<number>;
export type { CommandSpec };
