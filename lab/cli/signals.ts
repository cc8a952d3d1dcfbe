/**
 * The one signal handling of every lab command. SIGINT (Ctrl-C) and SIGTERM abort one AbortSignal
 * that the running step, its child processes (lab/exec/runner.ts passes it to execa's
 * cancelSignal) and pushes wait on, so the step can stop and run its undo; a second signal exits
 * at once.
 *
 * Why `process.on` and not `process.once`: execa and listr2 (through restore-cursor) load
 * signal-exit, whose handler re-raises the signal, killing the process, when it counts no other
 * listener for it. A `once` listener has removed itself before signal-exit's listener runs, so
 * signal-exit sees itself alone and kills the process in the middle of the cleanup.
 * See signal-exit's `if (listeners.length === count)` check before it re-raises
 * (tapjs/signal-exit src/index.ts, v4) and Node's rule that a process
 * with a 'SIGINT' or 'SIGTERM' listener does not exit on that signal
 * (https://nodejs.org/api/process.html#signal-events).
 */

import { LabError } from "../errors.js";

/**
 * Exit codes 128 + N for a stop by signal N, the convention shells use ("When a command terminates
 * on a fatal signal whose number is N, Bash uses the value 128+N as the exit status":
 * https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html). SIGINT is 2 and SIGTERM is
 * 15 (https://man7.org/linux/man-pages/man7/signal.7.html).
 */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The reason of an aborted run: which signal stopped it. */
export class StopRequested extends LabError {
  override name = "StopRequested";
  constructor(readonly signalName: StopSignal) {
    super(signalName === "SIGINT" ? "interrupted (Ctrl-C)" : "stopped (SIGTERM)", { exitCode: SIGNAL_EXIT_CODES[signalName] });
  }
}

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  readonly received: StopSignal | undefined;
  /** 130 after SIGINT, 143 after SIGTERM, 1 if neither came. */
  readonly exitCode: number;
  /** What a signal does; also called for a Ctrl-C typed while a prompt holds the terminal in raw mode. */
  trigger(signal: StopSignal): void;
  dispose(): void;
}

/** Restores the terminal's cursor (listr2's live view hides it) before an immediate exit. */
function showCursor(): void {
  if (process.stderr.isTTY) process.stderr.write("\u001b[?25h");
}

/**
 * Listens for SIGINT and SIGTERM until disposed. The first one aborts `signal`; the second exits
 * at once with 128 + n, whatever is still running.
 */
export function listenForStop(options: { exit?: (code: number) => void } = {}): Interrupt {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const exit =
    options.exit ??
    ((code: number) => {
      showCursor();
      process.exit(code);
    });
  const trigger = (signal: StopSignal) => {
    if (received) return exit(SIGNAL_EXIT_CODES[signal]);
    received = signal;
    controller.abort(new StopRequested(signal));
  };
  const onSigint = () => trigger("SIGINT");
  const onSigterm = () => trigger("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received ? SIGNAL_EXIT_CODES[received] : 1;
    },
    trigger,
    dispose() {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}

/** An Interrupt driven by a signal someone else owns (tests, or the CLI's own listener). */
export function interruptFrom(signal: AbortSignal): Interrupt {
  const received = (): StopSignal | undefined =>
    signal.aborted ? (signal.reason instanceof StopRequested ? signal.reason.signalName : "SIGINT") : undefined;
  return {
    signal,
    get received() {
      return received();
    },
    get exitCode() {
      const r = received();
      return r ? SIGNAL_EXIT_CODES[r] : 1;
    },
    trigger: () => undefined,
    dispose: () => undefined,
  };
}

/**
 * Ctrl-C (or SIGTERM) aborts the signal the steps wait on, instead of killing the process, so the
 * running step can stop cleanly and the state file can say where it stopped. The CLI's entry
 * (lab/cli/main.ts) listens once for the whole process and passes its signal in deps; a command
 * called without one (a test, a script of its own) listens itself, the same way.
 */
export function interruptible(deps: { readonly signal?: AbortSignal }): Interrupt {
  return deps.signal ? interruptFrom(deps.signal) : listenForStop();
}

/** The line every stopped command ends with: where it stopped, and what to type next. */
export function stoppedLine(interrupt: Pick<Interrupt, "received">, where: string, next: string): string {
  const how = interrupt.received === "SIGTERM" ? "stopped by SIGTERM" : "interrupted (Ctrl-C)";
  return `anka-lab: ${how} ${where}; next: ${next}`;
}
