/**
 * The runner's contract and its errors, with no process-spawning code, so modules that only need
 * to name a failure (the CLI's error printer, lab:render) load without execa.
 */

/**
 * Quotes one argument for a POSIX shell as zx's quote() does (google/zx src/util.ts: bash's ANSI-C
 * quoting, $'...', https://www.gnu.org/software/bash/manual/html_node/ANSI_002dC-Quoting.html),
 * without loading zx (about a third of a second) in every command.
 */
function quote(arg: string): string {
  if (arg === "") return "$''";
  if (/^[\w/.\-@:=]+$/.test(arg)) return arg;
  const escapes: Record<string, string> = { "\\": "\\\\", "'": "\\'", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\0": "\\0" };
  return `$'${arg.replace(/[\\'\f\n\r\t\v\0]/g, (c) => escapes[c]!)}'`;
}

export interface RunOptions {
  /** Milliseconds before the command is killed; every call has one. */
  readonly timeoutMs?: number;
  /** Text for standard input; without it stdin is empty, so nothing can wait on a prompt. */
  readonly input?: string;
  /** Return a failed result instead of throwing. */
  readonly allowFailure?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** What to tell the user if this command fails. */
  readonly hint?: string;
  /** Give the command this terminal (for sudo's password prompt); output is then not captured. */
  readonly interactive?: boolean;
}

export interface RunResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The one boundary to minikube, kubectl, docker and sudo. Production uses ExecaRunner; tests use
 * a scripted fake that answers in the real tools' formats.
 */
export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-lived process detached, output to logFile; returns its pid. */
  startDetached(argv: readonly string[], logFile: string): Promise<number>;
  /** Whether a pid is alive. */
  isAlive(pid: number): boolean;
  /** Sends a signal; false when the process is already gone. */
  signal(pid: number, signal: NodeJS.Signals): boolean;
}

/** A shell-pasteable rendering of argv, quoted as zx quotes. */
export function pasteable(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(" ");
}

function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** A failed command: the pasteable command, its exit code and the tail of its output. */
export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    readonly result: RunResult,
    readonly hint?: string,
    reason?: string,
  ) {
    const output = tail([result.stdout, result.stderr].filter(Boolean).join("\n"));
    super(
      `failed: ${pasteable(result.argv)}\n  ${reason ?? `exit code ${result.exitCode}`}` +
        (output ? `\n  output:\n${output.replace(/^/gm, "    ")}` : ""),
    );
  }
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** Install hints for the tools the lab runs, shown when one is missing. */
const INSTALL_HINTS: Record<string, string> = {
  minikube: "install it with `brew install minikube` (or `brew bundle` in this repo)",
  kubectl: "install it with `brew install kubernetes-cli` (or `brew bundle` in this repo)",
  docker: "install Docker Desktop with `brew install --cask docker` and start it",
  curl: "install curl",
};

/**
 * Turns a finished command into its result or a CommandError, the same way for the real runner
 * and the test fake: a missing binary names how to install it, a timeout says so, a non-zero exit
 * throws unless allowFailure.
 */
export function settle(result: RunResult, options: RunOptions, how: { missing?: boolean; timedOut?: boolean } = {}): RunResult {
  const file = result.argv[0]!;
  if (how.missing)
    throw new CommandError({ ...result, exitCode: 127 }, INSTALL_HINTS[file] ?? `install ${file}`, `${file} is not installed (not on PATH)`);
  if (how.timedOut)
    throw new CommandError(result, options.hint, `timed out after ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`);
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(result, options.hint);
  return result;
}

