import { createInterface } from "node:readline/promises";
import type { CommandSpec, FlagSpec, Io, ParsedArgs } from "../cli/command.js";
import { CONFIG_FLAGS, loadConfigFromArgs } from "../cli/command.js";
import { LabContext, type WaitTimings } from "../context.js";
import type { HostFacts } from "../doctor/checks.js";
import { ExecaRunner, type Runner } from "../exec/runner.js";
import { StateStore, defaultStateDir } from "../state.js";
import { chooseRenderer, type RendererChoice } from "../cli/tasks.js";

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

export const CONTEXT_FLAG: FlagSpec = {
  name: "context",
  type: "string",
  value: "NAME",
  description: "run on this existing kube context instead of minikube (shortcut for --set context=NAME)",
};
export const DRY_RUN_FLAG: FlagSpec = { name: "dry-run", type: "boolean", description: "print the plan and change nothing" };
export const VERBOSE_FLAG: FlagSpec = { name: "verbose", short: "v", type: "boolean", description: "echo every command the lab runs, and stacks on errors" };

export const LAB_FLAGS: readonly FlagSpec[] = [...CONFIG_FLAGS, CONTEXT_FLAG];

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function createContext(args: ParsedArgs, io: Io, deps: CommandDeps, defaults: { waits: WaitTimings }): LabContext {
  const values = { ...args.values };
  if (typeof values.context === "string") values.set = [...((values.set as string[]) ?? []), `context=${values.context}`];
  const { config } = loadConfigFromArgs(values, io.env);
  const verbose = values.verbose === true;
  const runner = deps.runner ?? new ExecaRunner(verbose ? (line) => io.err(line) : undefined);
  return new LabContext(config, runner, new StateStore(defaultStateDir(io.env)), {
    dryRun: values["dry-run"] === true,
    waits: deps.waits ?? defaults.waits,
    signal: deps.signal ?? new AbortController().signal,
    hostsFile: deps.hostsFile ?? io.env.ANKA_LAB_HOSTS_FILE ?? "/etc/hosts",
    interactive: deps.interactive ?? (process.stdin.isTTY === true && !io.env.CI),
    confirm: deps.confirm ?? askOnTerminal,
    needsSudo: deps.needsSudo ?? process.getuid?.() !== 0,
  });
}

export function rendererFor(deps: CommandDeps): RendererChoice {
  return deps.renderer ?? chooseRenderer();
}

/**
 * Ctrl-C aborts the signal the steps wait on, instead of killing the process, so the running step
 * can stop cleanly and the state file can say where it stopped.
 */
export function interruptible(deps: CommandDeps): { signal: AbortSignal; dispose(): void } {
  if (deps.signal) return { signal: deps.signal, dispose: () => undefined };
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}

export function withSignal(deps: CommandDeps, signal: AbortSignal): CommandDeps {
  return { ...deps, signal };
}

export type LabCommand = (args: ParsedArgs, io: Io, deps?: CommandDeps) => Promise<number>;
export type { CommandSpec };
