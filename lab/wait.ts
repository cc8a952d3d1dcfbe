import { setTimeout as sleep } from "node:timers/promises";
import { LabError } from "./errors.js";
/** A wait that ran out of time: what it waited for, for how long, and the last thing it saw. */
export class WaitTimeoutError extends LabError {
  override name = "WaitTimeoutError";
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastError: string | undefined,
    hint?: string,
  ) {
    super(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? `: ${lastError}` : ""}`, { hint });
  }
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Cancels the wait (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Called with each failed attempt's reason, e.g. to show progress. */
  readonly onRetry?: (reason: string) => void;
  readonly hint?: string;
}

/** The outcome of one look: done with a value, or not yet and why. */
export type Look<T> = { done: true; value: T } | { done: false; reason: string };

export const ready = <T>(value: T): Look<T> => ({ done: true, value });
export const notYet = (reason: string): Look<never> => ({ done: false, reason });

/** Waits ms, or rejects with the signal's reason (which signal stopped the run) when it aborts first. */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  // node:timers/promises rejects with an AbortError; the lab's callers want the StopRequested reason
  // (https://nodejs.org/api/timers.html#timerspromisessettimeoutdelay-value-options).
  await sleep(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal?.aborted ? signal.reason : error;
  });
}

/**
 * Looks once, then looks again at an interval until done or the deadline passes. A look
 * that throws counts as "not yet" with the error as reason; the timeout error carries the last one.
 */
export async function waitFor<T>(what: string, look: () => Promise<Look<T>>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const result = await look();
      if (result.done) return result.value;
      last = result.reason;
    } catch (error) {
      last = (error as Error).message;
    }
    options.onRetry?.(last);
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(what, options.timeoutMs, last, options.hint);
    await pause(Math.min(options.intervalMs, left), options.signal);
  }
}

/**
 * Runs `work` and, while it runs, calls `sample` every intervalMs (never back to back); returns
 * what `work` returns, or throws what it throws, once both have settled.
 */
export async function sampleWhile<T>(work: Promise<T>, sample: () => Promise<void>, intervalMs: number): Promise<T> {
  let settled = false;
  const finished = work.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await sample();
    if (settled) break;
    await Promise.race([pause(intervalMs), finished]);
  }
  return work;
}
