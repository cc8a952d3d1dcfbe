import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";

// execa is loaded at the first command, not with the module: a command's first line (listr2's first
// task) need not wait for it (about 150 ms of a 2-core machine's start; see npm run bench:start).
let loadExeca: Promise<typeof import("execa")> | undefined;
import { DEFAULT_TIMEOUT_MS, parsePs, pasteable, settle, type ProcessInfo, type RunOptions, type RunResult, type Runner } from "./types.js";

export { CommandError, pasteable, settle, type RunOptions, type RunResult, type Runner } from "./types.js";

/** The real runner: every lab call to minikube, kubectl, docker and sudo goes through it. */
export class ExecaRunner implements Runner {
  /**
   * @param stop aborted on Ctrl-C or SIGTERM (lab/cli/signals.ts): the commands running then get
   * SIGTERM, and SIGKILL 5 s later if still alive (execa's `cancelSignal` and
   * `forceKillAfterDelay`, https://github.com/sindresorhus/execa/blob/main/docs/termination.md).
   * Commands started after it (a step's undo, a repro's restore) run to the end; a second Ctrl-C
   * exits the process.
   */
  constructor(
    private readonly echo?: (line: string) => void,
    private readonly stop?: AbortSignal,
  ) {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.echo?.(`$ ${pasteable(argv)}`);
    const [file, ...args] = argv;
    const { execa } = await (loadExeca ??= import("execa"));
    const cancel = this.stop && !this.stop.aborted ? { cancelSignal: this.stop, forceKillAfterDelay: 5000 } : {};
    // Output to the log and captured both: execa takes an array of targets, and {file, append}
    // (https://github.com/sindresorhus/execa/blob/main/docs/output.md, "Multiple targets", "File output").
    const logged = options.log && !options.interactive ? { file: options.log.file, append: true } : undefined;
    const subprocess = execa(file!, args, {
      reject: false,
      ...cancel,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.interactive ? { stdio: "inherit" as const } : { input: options.input ?? "" }),
      ...(logged ? { stdout: ["pipe", logged] as const, stderr: ["pipe", logged] as const } : {}),
      env: options.env,
      stripFinalNewline: false,
    });
    const onLine = options.log?.onLine;
    if (onLine && logged) for (const stream of [subprocess.stdout, subprocess.stderr]) stream?.on("data", lineSplitter(onLine));
    const child = await subprocess;
    return settle(
      { argv, exitCode: child.exitCode ?? (child.timedOut ? 124 : 1), stdout: String(child.stdout ?? ""), stderr: String(child.stderr ?? "") },
      options,
      { missing: (child as { code?: string }).code === "ENOENT", timedOut: child.timedOut },
    );
  }

  async startDetached(argv: readonly string[], logFile: string): Promise<number> {
    this.echo?.(`$ ${pasteable(argv)} > ${logFile} 2>&1 &`);
    const log = openSync(logFile, "a");
    try {
      const [file, ...args] = argv;
      // A new process group, so it outlives this command and can be signalled as a whole.
      const child = spawn(file!, args, { detached: true, stdio: ["ignore", log, log] });
      child.unref();
      const pid = await new Promise<number>((resolvePid, reject) => {
        child.once("spawn", () => resolvePid(child.pid!));
        child.once("error", reject);
      });
      return pid;
    } finally {
      closeSync(log);
    }
  }

  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }

  signal(pid: number, signal: NodeJS.Signals, options: { readonly group?: boolean } = {}): boolean {
    try {
      // kill(2): a negative pid signals every process in that process group.
      process.kill(options.group ? -pid : pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** `ps -o pid= -o lstart= -o command= -p PID`: exits 1 and prints nothing when the pid is not running. */
  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    const result = await this.ps(["-p", String(pid)]);
    return parsePs(result).find((p) => p.pid === pid);
  }

  async processes(): Promise<ProcessInfo[]> {
    return parsePs(await this.ps(["-A"]));
  }

  private async ps(select: string[]): Promise<string> {
    const { execa } = await (loadExeca ??= import("execa"));
    // LC_ALL=C: lstart in the C locale's English day and month names, which parsePs reads.
    const child = await execa("ps", [...select, "-o", "pid=", "-o", "lstart=", "-o", "command="], { reject: false, timeout: 10_000, env: { LC_ALL: "C" } });
    return String(child.stdout ?? "");
  }
}

/** Calls onLine with each complete, non-blank line of a stream's chunks (a partial line waits for its end). */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let pending = "";
  return (chunk) => {
    const lines = (pending + String(chunk)).split(/\r?\n|\r/);
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line.trimEnd());
  };
}
