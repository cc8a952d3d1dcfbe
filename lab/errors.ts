/** What a LabError carries besides its message. */
export interface LabErrorOptions {
  /** The next thing to type or do, printed as `next: …` under the message. */
  readonly hint?: string;
  /** Several problems found at once (config, render), printed one per line under `headline`. */
  readonly problems?: readonly string[];
  /** The line printed above `problems`; the message when there are none. */
  readonly headline?: string;
  /** The process's exit code: 1 for a failure, 2 for bad input, 130/143 for Ctrl-C/SIGTERM. */
  readonly exitCode?: number;
  readonly cause?: unknown;
}

/**
 * The root of every error the CLI prints (lab/cli/command.ts reportError): a message that says what
 * went wrong, a hint that says what to do, and the exit code. An error that is not a LabError is a
 * bug in the lab and is printed with its stack under --verbose.
 */
export class LabError extends Error {
  override name = "LabError";
  readonly hint: string | undefined;
  readonly problems: readonly string[];
  readonly headline: string;
  readonly exitCode: number;
  constructor(message: string, options: LabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.problems = options.problems ?? [];
    this.headline = options.headline ?? message;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad flags or arguments: exit 2, as parseArgs-style CLIs do. */
export class UsageError extends LabError {
  override name = "UsageError";
  constructor(message: string, options: Omit<LabErrorOptions, "exitCode"> = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}
