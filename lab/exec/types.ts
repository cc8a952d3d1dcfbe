import { LabError } from "../errors.js";
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
  /**
   * A long command's output also goes to this log (appended), and each complete line it prints is
   * passed to onLine as it comes, so a task line can show it live (minikube start's progress).
   */
  readonly log?: { readonly file: string; readonly onLine?: (line: string) => void };
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
  /**
   * Sends a signal to a process, or with `group` to its whole process group (a process started
   * detached leads its own group, so its children go too); false when nothing received it.
   */
  signal(pid: number, signal: NodeJS.Signals, options?: { readonly group?: boolean }): boolean;
  /**
   * What identifies a live process: its start time and command line, or undefined when the pid is
   * not running. A pid alone is not an identity: after a reboot another process may hold it.
   */
  processInfo(pid: number): Promise<ProcessInfo | undefined>;
  /** Every process this user can see, with the same identity (for finding a tunnel the user started). */
  processes(): Promise<ProcessInfo[]>;
}

/** A process as `ps -o pid= -o lstart= -o command=` shows it. */
export interface ProcessInfo {
  readonly pid: number;
  /** `lstart`: the start time as ctime(3) prints it, e.g. "Wed Dec  2 02:11:38 2026". */
  readonly started: string;
  readonly command: string;
}

/**
 * Parses `ps -o pid= -o lstart= -o command=` lines. lstart is ctime(3)'s fixed 24-character form on
 * both macOS ps(1) (BSD: "lstart  The exact time the command started, using the %c format") and
 * procps ps(1) on Linux ("lstart  time the command started"), so the command is what follows it.
 */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\s+(.*?)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), started: m[2]!, command: m[3]! });
  }
  return out;
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
export class CommandError extends LabError {
  override name = "CommandError";
  constructor(
    readonly result: RunResult,
    hint?: string,
    reason?: string,
  ) {
    const output = tail([result.stdout, result.stderr].filter(Boolean).join("\n"));
    super(
      `failed: ${pasteable(result.argv)}\n  ${reason ?? `exit code ${result.exitCode}`}` +
        (output ? `\n  output:\n${output.replace(/^/gm, "    ")}` : ""),
      { hint },
    );
  }
}

export const DEFAULT_TIMEOUT_MS = 120_000;

/** Install hints for the tools the lab runs, shown when one is missing. */
const INSTALL_HINTS: Record<string, string> = {
  minikube: "install it with `brew install minikube` (or `brew bundle` in this repo)",
  kubectl: "install it with `brew install kubernetes-cli` (or `brew bundle` in this repo)",
  docker: "install Docker Desktop with `brew install --cask docker-desktop` and start it",
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

