import { settle, pasteable, type RunOptions, type RunResult, type Runner } from "../../lab/exec/types.js";

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
  readonly signals: { pid: number; signal: NodeJS.Signals }[] = [];
  private readonly handlers: Handler[] = [];
  private readonly failures: { match: (argv: readonly string[]) => boolean; answer: Answer; times: number }[] = [];
  private readonly alive = new Set<number>();
  private nextPid = 41000;
  /** Called when a process is started detached (e.g. to write the tunnel's log line). */
  onDetached?: (argv: readonly string[], logFile: string, pid: number) => void;

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
    const pid = this.nextPid++;
    this.alive.add(pid);
    this.onDetached?.(argv, logFile, pid);
    return pid;
  }

  isAlive(pid: number): boolean {
    return this.alive.has(pid);
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    this.signals.push({ pid, signal });
    return this.alive.delete(pid);
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
