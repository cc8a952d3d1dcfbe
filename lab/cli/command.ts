import { parseArgs, type ParseArgsConfig } from "node:util";
import { bold, red } from "./color.js";
import { LabError, UsageError } from "../errors.js";

// This module is loaded by every command before its flags are parsed, and by --help alone: it
// imports nothing but node:util and colour, so help prints without loading zod, execa or listr2.
// Errors from those modules are told apart by name (ConfigError, RenderError, CommandError).

/** One flag of a command, as --help shows it. */
export interface FlagSpec {
  readonly name: string;
  readonly type: "string" | "boolean";
  readonly value?: string;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
}

export interface CommandSpec {
  /** npm script name, e.g. lab:render. */
  readonly name: string;
  readonly summary: string;
  readonly usage?: string;
  readonly flags: readonly FlagSpec[];
  /** Whether positional arguments are accepted. */
  readonly positionals?: boolean;
  readonly details?: string;
  readonly examples?: readonly string[];
}

/** Wrong words on the command line: one line, exit 2, nothing touched. */

/** Flags every lab command takes to choose its config. */
export const CONFIG_FLAGS: readonly FlagSpec[] = [
  { name: "config", type: "string", value: "FILE", description: "lab config file (default: ./lab.config.yaml if present)" },
  { name: "set", type: "string", value: "KEY=VALUE", multiple: true, description: "override one config key, e.g. --set registry.storageSize=40Gi" },
  { name: "profile", type: "string", value: "NAME", description: "shortcut for --set profile=NAME" },
  { name: "namespace", type: "string", value: "NAME", description: "shortcut for --set namespace=NAME" },
];

const HELP_FLAG: FlagSpec = { name: "help", short: "h", type: "boolean", description: "show this help" };

export function helpText(spec: CommandSpec): string {
  const flags = [...spec.flags, HELP_FLAG];
  const left = flags.map((f) => `  ${f.short ? `-${f.short}, ` : ""}--${f.name}${f.value ? ` ${f.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = [
    `${bold(`npm run ${spec.name}`)} - ${spec.summary}`,
    "",
    `Usage: npm run ${spec.name} -- ${spec.usage ?? "[flags]"}`,
    // The bin takes the lab's verbs only; bench and docs scripts are npm scripts alone.
    ...(spec.name.startsWith("lab:") ? [`   or: npx anka-lab ${spec.name.replace(/^lab:/, "")} ${spec.usage ?? "[flags]"}`] : []),
    "",
    "Flags:",
    ...flags.map((f, i) => `${left[i]!.padEnd(width)}${f.description}`),
  ];
  if (spec.details) lines.push("", spec.details.trim());
  if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n") + "\n";
}

/** Flag values as node:util parseArgs returns them. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** A value flag's text, or undefined when it was not given. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * A command line after parsing, read through typed accessors: `args.string("out")`,
 * `args.strings("set")`, `args.flag("check")`. Each accessor checks that the command declares the
 * flag with that type, so a misspelt or mistyped name fails the first time it runs instead of
 * reading as "not given".
 */
export class ParsedArgs {
  constructor(
    readonly spec: CommandSpec,
    readonly values: FlagValues,
    readonly positionals: string[],
  ) {}

  /** A value flag's text, or undefined when not given. */
  string(name: string): string | undefined {
    this.declared(name, "string", false);
    return stringFlag(this.values, name);
  }

  /** Every value of a repeatable value flag, in order; [] when not given. */
  strings(name: string): string[] {
    this.declared(name, "string", true);
    const value = this.values[name];
    return Array.isArray(value) ? value : [];
  }

  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    this.declared(name, "boolean", false);
    return this.values[name] === true;
  }

  // A plain Error on purpose: reading an undeclared flag is a bug in the lab, not the user's input
  // (lab/errors.ts: an error that is not a LabError is a bug, printed with its stack under --verbose).
  private declared(name: string, type: FlagSpec["type"], multiple: boolean): void {
    const flag = [...this.spec.flags, HELP_FLAG].find((f) => f.name === name);
    if (flag?.type !== type || (flag.multiple ?? false) !== multiple)
      throw new Error(`${this.spec.name} declares no ${multiple ? "repeatable " : ""}${type} flag --${name}; see lab/commands/specs.ts`);
  }
}

export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedArgs | "help" {
  const options: ParseArgsConfig["options"] = {};
  for (const f of [...spec.flags, HELP_FLAG]) {
    options[f.name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: spec.positionals ?? false, strict: true });
  } catch (error) {
    const message = (error as Error).message.split(". ")[0];
    throw new UsageError(`${message}; see npm run ${spec.name} -- --help`);
  }
  if (parsed.values.help) return "help";
  return new ParsedArgs(spec, parsed.values as FlagValues, parsed.positionals);
}

/** Splits --set pairs and the shortcut flags into config overrides. */
export function configFlags(values: FlagValues): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const pair of (values.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected KEY=VALUE, e.g. --set etcd.replicas=5`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  for (const shortcut of ["profile", "namespace"]) {
    const value = stringFlag(values, shortcut);
    if (value !== undefined) overrides[shortcut] = value;
  }
  return overrides;
}

/** Output of a command; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : text + "\n"),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : text + "\n"),
  env: process.env,
};

/** Prints an error the way every lab command does and returns the exit code. */
export function reportError(error: unknown, io: Io, verbose: boolean): number {
  // io.err is stderr in a real run (processIo); colour only if stderr itself takes it.
  const prefix = red("anka-lab:", process.stderr);
  if (error instanceof LabError) {
    io.err(`${prefix} ${error.problems.length ? error.headline : error.message}`);
    for (const p of error.problems) io.err(`  ${p}`);
    if (error.hint) io.err(`  next: ${error.hint}`);
    if (verbose && error.stack) io.err(error.stack);
    return error.exitCode;
  }
  // Not a LabError: an error from Node or a library that no lab code explained.
  io.err(`${prefix} ${(error as Error)?.message ?? String(error)}`);
  if (verbose && (error as Error)?.stack) io.err((error as Error).stack!);
  return 1;
}

/**
 * Runs a command: parses flags (or prints --help), calls the handler and turns its errors into
 * one clear message and an exit code.
 */
export async function runCommand(
  spec: CommandSpec,
  handler: (args: ParsedArgs, io: Io) => Promise<number>,
  argv: readonly string[] = process.argv.slice(2),
  io: Io = processIo,
): Promise<number> {
  let verbose = false;
  try {
    const parsed = parseCommandLine(spec, argv);
    if (parsed === "help") {
      io.out(helpText(spec));
      return 0;
    }
    verbose = parsed.values.verbose === true;
    return await handler(parsed, io);
  } catch (error) {
    return reportError(error, io, verbose);
  }
}

/** Entry point for scripts/: run and exit with the code. */
export function main(spec: CommandSpec, handler: (args: ParsedArgs, io: Io) => Promise<number>): void {
  runCommand(spec, handler).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.exitCode = reportError(error, processIo, false);
    },
  );
}
