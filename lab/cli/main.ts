/**
 * The one entry of every lab command: `anka-lab <verb> [flags]` (bin/anka-lab.mjs) and the
 * `npm run lab:<verb>` scripts both come here. It loads only the specs to parse flags and print
 * --help; a command's own module (and zod, execa, listr2, kubernetes-models with it) is imported
 * only when that command runs.
 */
import { helpText, parseCommandLine, processIo, reportError, type CommandSpec, type Io, type ParsedArgs } from "./command.js";
import { UsageError } from "../errors.js";
import { bold } from "./color.js";
import { npmAteFlags } from "./npmFlags.js";
import { listenForStop, stoppedLine } from "./signals.js";
import { doctorSpec, downSpec, pushSpec, renderSpec, reproSpec, smokeSpec, statusSpec, upSpec } from "../commands/specs.js";

type Handler = (args: ParsedArgs, io: Io, deps: { signal: AbortSignal }) => Promise<number>;

interface Verb {
  readonly spec: CommandSpec;
  readonly load: () => Promise<Handler>;
}

/** Every verb, in README's order, with the module that runs it. */
export const VERBS: Readonly<Record<string, Verb>> = {
  up: { spec: upSpec, load: async () => (await import("../commands/up.js")).upCommand },
  status: { spec: statusSpec, load: async () => (await import("../commands/status.js")).statusCommand },
  smoke: { spec: smokeSpec, load: async () => (await import("../commands/smoke.js")).smokeCommand },
  push: { spec: pushSpec, load: async () => (await import("../commands/push.js")).pushCommand },
  repro: { spec: reproSpec, load: async () => (await import("../commands/repro.js")).reproCommand },
  down: { spec: downSpec, load: async () => (await import("../commands/down.js")).downCommand },
  doctor: { spec: doctorSpec, load: async () => (await import("../commands/doctor.js")).doctorCommand },
  render: { spec: renderSpec, load: async () => (await import("../commands/render.js")).renderCommand },
};

export function topLevelHelp(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  return [
    `${bold("anka-lab")} - bring up, prove and tear down an HA Anka Build Cloud on minikube`,
    "",
    "Usage: anka-lab <command> [flags]      (or: npm run lab:<command> -- [flags])",
    "",
    "Commands:",
    ...Object.entries(VERBS).map(([verb, { spec }]) => `  ${verb.padEnd(width)}  ${spec.summary}`),
    "",
    "anka-lab <command> --help shows a command's flags.",
  ].join("\n") + "\n";
}

/**
 * A reader that closed the pipe (`| head`, `| jq` that stopped) ends the command quietly: Node
 * reports EPIPE as an 'error' event on process.stdout/stderr, which would otherwise be thrown as an
 * uncaught exception with a stack (https://nodejs.org/api/process.html#a-note-on-process-io and
 * https://nodejs.org/api/stream.html#event-error). Nobody reads any more, so nothing is printed.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
      throw error;
    });
}

/** Runs one verb with the process's arguments, signals and streams; resolves with the exit code. */
export async function runVerb(verb: string, argv: readonly string[], io: Io = processIo): Promise<number> {
  const entry = VERBS[verb];
  if (!entry) throw new UsageError(`unknown command "${verb}"; one of: ${Object.keys(VERBS).join(", ")} (anka-lab --help)`);
  const { spec } = entry;
  const eaten = npmAteFlags(spec, argv, io.env);
  if (eaten) throw new UsageError(eaten);
  const parsed = parseCommandLine(spec, argv);
  if (parsed === "help") {
    io.out(helpText(spec));
    return 0;
  }
  const json = parsed.values.json === true;
  const interrupt = listenForStop();
  let wrote = false;
  const counted: Io = { ...io, out: (text) => ((wrote = true), io.out(text)) };
  let code: number;
  let failure: string | undefined;
  try {
    const handler = await entry.load();
    code = await handler(parsed, counted, { signal: interrupt.signal });
  } catch (error) {
    code = reportError(error, io, parsed.values.verbose === true);
    failure = String((error as Error).message ?? error).split("\n")[0];
  } finally {
    interrupt.dispose();
  }
  if (interrupt.received && code !== interrupt.exitCode) {
    // A command without steps of its own to report (status, doctor): the generic line.
    io.err(stoppedLine(interrupt, `during ${spec.name}`, `npm run ${spec.name}`));
    code = interrupt.exitCode;
  }
  // --json promises one JSON document on stdout, a failure or a stop included.
  if (json && !wrote) {
    const stopped = interrupt.received === "SIGTERM" ? "stopped by SIGTERM" : "interrupted (Ctrl-C)";
    const error = interrupt.received ? stopped : (failure ?? "no result");
    io.out(JSON.stringify({ ok: false, error, exitCode: code }));
  }
  return code;
}

/** The process entry: `anka-lab <verb> …` or a script that names its verb. */
export async function main(argv: readonly string[] = process.argv.slice(2), fixedVerb?: string): Promise<void> {
  endQuietlyOnClosedPipe();
  let code: number;
  try {
    const [first, ...rest] = argv;
    if (fixedVerb) code = await runVerb(fixedVerb, argv);
    else if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      processIo.out(topLevelHelp());
      code = first === undefined ? 2 : 0;
    } else code = await runVerb(first, rest);
  } catch (error) {
    code = reportError(error, processIo, false);
  }
  process.exitCode = code;
  // After a stop, nothing of the run is worth waiting for (a checksum loop, a keep-alive socket).
  if (code === 130 || code === 143) process.exit(code);
}
