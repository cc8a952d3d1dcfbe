import { settle, pasteable, type ProcessInfo, type RunOptions, type RunResult, type Runner } from "../../lab/exec/types.js";

/** What a scripted command answers; `missing` plays a binary that is not installed. */
export interface Answer {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly missing?: boolean;
}

export interface FakeCall {
  readonly argv: readonly string[];
  readonly options?: RunOptions;
  readonly detached?: boolean;
}

type Handler = (argv: readonly string[], options: RunOptions | undefined) => Answer | undefined | Promise<Answer | undefined>;

/**
 * The command runner for tests: records every call, answers from scripted handlers (newest
 * first), can fail any call, and refuses commands nobody scripted so a test never passes by
 * accident. Results go through the same settle() as the real runner.
 */
export class FakeRunner implements Runner {
  readonly calls: FakeCall[] = [];
  readonly signals: { pid: number; signal: NodeJS.Signals; group?: boolean }[] = [];
  private readonly handlers: Handler[] = [];
  private readonly failures: { match: (argv: readonly string[]) => boolean; answer: Answer; times: number }[] = [];
  /** The played process table: pid to start time (ps lstart) and command line. */
  private readonly alive = new Map<number, { started: string; command: string }>();
  private nextPid = 41000;
  private clock = Date.parse("2026-11-25T09:00:00Z");
  /** Called when a process is started detached (e.g. to write the tunnel's log line). */
  onDetached?: (argv: readonly string[], logFile: string, pid: number) => void;
  /**
   * Called when a signal reaches a live process; returning true means the process handles it and
   * stays alive for now (minikube tunnel cleans up on SIGINT before it exits).
   */
  onSignal?: (pid: number, signal: NodeJS.Signals) => boolean;

  handle(handler: Handler): void {
    this.handlers.unshift(handler);
  }

  /** Makes matching calls answer `answer` (`times` times, default every time). */
  failWhen(match: (argv: readonly string[]) => boolean, answer: Answer, times = Infinity): void {
    this.failures.push({ match, answer, times });
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv: [...argv], options });
    let answer: Answer | undefined;
    const failure = this.failures.find((f) => f.times > 0 && f.match(argv));
    if (failure) {
      failure.times--;
      answer = failure.answer;
    } else {
      for (const handler of this.handlers) {
        answer = await handler(argv, options);
        if (answer) break;
      }
    }
    if (!answer) throw new Error(`FakeRunner: nobody scripted ${pasteable(argv)}`);
    return settle({ argv, exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" }, options, {
      missing: answer.missing,
    });
  }

  async startDetached(argv: readonly string[], logFile: string): Promise<number> {
    this.calls.push({ argv: [...argv], detached: true });
    const pid = this.spawnProcess(argv.join(" "));
    this.onDetached?.(argv, logFile, pid);
    return pid;
  }

  /** Adds a process to the played table (one the lab did not start, e.g. a tunnel the user runs); returns its pid. */
  spawnProcess(command: string, pid = this.nextPid++): number {
    this.clock += 1000;
    // ps lstart: ctime(3) in the C locale, e.g. "Wed Nov 25 09:00:01 2026".
    const d = new Date(this.clock);
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
    const started = `${day} ${month} ${String(d.getUTCDate()).padStart(2, " ")} ${d.toISOString().slice(11, 19)} ${d.getUTCFullYear()}`;
    this.alive.set(pid, { started, command });
    return pid;
  }

  isAlive(pid: number): boolean {
    return this.alive.has(pid);
  }

  /** The command line of a live process, or undefined. */
  commandOf(pid: number): string | undefined {
    return this.alive.get(pid)?.command;
  }

  signal(pid: number, signal: NodeJS.Signals, options: { readonly group?: boolean } = {}): boolean {
    this.signals.push({ pid, signal, ...(options.group ? { group: true } : {}) });
    if (!this.alive.has(pid)) return false;
    if (signal !== "SIGKILL" && this.onSignal?.(pid, signal)) return true;
    return this.alive.delete(pid);
  }

  async processInfo(pid: number): Promise<ProcessInfo | undefined> {
    const p = this.alive.get(pid);
    return p && { pid, ...p };
  }

  async processes(): Promise<ProcessInfo[]> {
    return [...this.alive].map(([pid, p]) => ({ pid, ...p }));
  }

  /** A background process dies on its own (the tunnel after a laptop sleep). */
  die(pid: number): void {
    this.alive.delete(pid);
  }

  /** Calls whose argv starts with these words. */
  callsOf(...prefix: string[]): FakeCall[] {
    return this.calls.filter((c) => prefix.every((p, i) => c.argv[i] === p));
  }
}

/** Commands that change something; everything else only reads. */
export function isMutating(call: FakeCall): boolean {
  const a = call.argv;
  const kubectlVerb = a[0] === "kubectl" ? a[a[1] === "--context" ? 3 : 1] : undefined;
  if (call.detached) return true;
  if (a[0] === "minikube") return ["start", "delete", "stop"].includes(a[1]!) || (a[1] === "addons" && a[2] === "enable");
  if (a[0] === "kubectl") return ["apply", "delete", "patch", "create", "label", "annotate"].includes(kubectlVerb!) || (a[1] === "config" && a[2] === "set-context");
  if (a[0] === "sudo") return a[1] !== "-n";
  return ["cp", "chmod", "mv", "rm"].includes(a[0]!);
}
