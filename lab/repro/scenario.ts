import { LabContext } from "../context.js";
import type { PushOptions, PushResult } from "../transfer/client.js";

/** What a phase saw: whether the symptom showed, a one-line summary, and the evidence. */
export interface Observation {
  readonly symptom: boolean;
  readonly summary: string;
  readonly evidence: readonly string[];
}

export interface ReproOptions {
  /** Bytes per sample push. */
  readonly size: number;
  /** The load balancer idle timeout to model, in seconds (350: an AWS NLB's). */
  readonly idleSeconds: number;
  /** Memory limit to put on the registry (registry-memory-limit). */
  readonly memoryLimit: string;
}

/** What a scenario works with; push and http are injectable so tests can script them. */
export interface ReproTools {
  readonly ctx: LabContext;
  readonly options: ReproOptions;
  push(options: Omit<PushOptions, "signal">): Promise<PushResult>;
  /** Whether GET url (with an optional Host header) answers 2xx. */
  httpOk(url: string, host?: string): Promise<boolean>;
  log(line: string): void;
  /** Scratch space one scenario run keeps between its phases. */
  readonly memo: Record<string, unknown>;
}

/**
 * A known support issue, broken and then fixed: setup puts the lab into the broken state, act
 * provokes and observes the symptom, fix applies the remedy, verify shows the symptom gone, and
 * restore puts the lab back (it always runs, also after a failure or Ctrl-C).
 */
export interface Scenario {
  readonly name: string;
  /** One line for --list. */
  readonly summary: string;
  /** Where the facts behind it come from. */
  readonly facts: readonly string[];
  setup(t: ReproTools): Promise<void>;
  act(t: ReproTools): Promise<Observation>;
  fix(t: ReproTools): Promise<void>;
  verify(t: ReproTools): Promise<Observation>;
  restore(t: ReproTools): Promise<void>;
}

export type Phase = "setup" | "act" | "fix" | "verify" | "restore";

export interface ReproReport {
  readonly scenario: string;
  readonly phases: { phase: Phase; ok: boolean; detail?: string }[];
  broken?: Observation;
  fixed?: Observation;
  /** The phase that threw, and why. */
  failure?: { phase: Phase; message: string };
  restoreFailure?: string;
  kept: boolean;
}

/** The tools for restore: same lab, but a signal of its own, so restore still runs after Ctrl-C. */
function forRestore(t: ReproTools): ReproTools {
  const ctx = new LabContext(t.ctx.config, t.ctx.runner, t.ctx.state, { ...t.ctx.options, signal: new AbortController().signal });
  return { ...t, ctx };
}

/**
 * Runs one scenario's phases in order and always restores, unless --keep asks to leave the broken
 * state in place after the verdict.
 */
export async function runScenario(
  t: ReproTools,
  scenario: Scenario,
  options: {
    keep: boolean;
    onPhase?: (phase: Phase, detail: string) => void;
    /** Runs each phase (the CLI shows it as a listr2 task); the default just runs it. */
    wrap?: <T>(phase: Phase, run: () => Promise<T>) => Promise<T>;
  },
): Promise<ReproReport> {
  const report: ReproReport = { scenario: scenario.name, phases: [], kept: false };
  const step = async <T>(phase: Phase, run: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    options.onPhase?.(phase, "running");
    try {
      const value = options.wrap ? await options.wrap(phase, run) : await run();
      const detail = describe(value);
      report.phases.push({ phase, ok: true, detail });
      options.onPhase?.(phase, detail);
      return value;
    } catch (error) {
      const message = (error as Error).message;
      report.phases.push({ phase, ok: false, detail: message });
      report.failure ??= { phase, message };
      options.onPhase?.(phase, `failed: ${message}`);
      throw error;
    }
  };
  try {
    await step("setup", () => scenario.setup(t), () => "broken state in place");
    report.broken = await step("act", () => scenario.act(t), (o) => o.summary);
    if (options.keep) {
      report.kept = true;
      return report;
    }
    await step("fix", () => scenario.fix(t), () => "fix applied");
    report.fixed = await step("verify", () => scenario.verify(t), (o) => o.summary);
  } catch {
    // Recorded in the report; restore still runs below.
  } finally {
    if (!report.kept) {
      try {
        await step("restore", () => scenario.restore(forRestore(t)), () => "lab restored");
      } catch (error) {
        report.restoreFailure = (error as Error).message;
      }
    }
  }
  return report;
}

/** The verdict lines a support engineer reads. */
export function verdictLines(scenario: Scenario, report: ReproReport): string[] {
  const lines: string[] = [];
  if (report.broken)
    lines.push(
      report.broken.symptom ? `reproduced: ${report.broken.summary}` : `not reproduced here, because ${report.broken.summary}`,
      ...report.broken.evidence.map((e) => `  ${e}`),
    );
  if (report.fixed)
    lines.push(
      report.fixed.symptom ? `the fix did not help: ${report.fixed.summary}` : `fixed: ${report.fixed.summary}`,
      ...report.fixed.evidence.map((e) => `  ${e}`),
    );
  if (report.failure) lines.push(`stopped in ${report.failure.phase}: ${report.failure.message}`);
  if (report.kept) lines.push(`left broken for investigation (--keep); run npm run lab:repro -- ${scenario.name} again without --keep, or npm run lab:up, to restore`);
  else if (report.restoreFailure) lines.push(`RESTORE FAILED: ${report.restoreFailure}; run npm run lab:up to put the lab back`);
  else lines.push("lab restored");
  return lines;
}

/** Success: reproduced, fixed and restored (or reproduced and kept). */
export function succeeded(report: ReproReport): boolean {
  if (report.failure || report.restoreFailure || !report.broken?.symptom) return false;
  return report.kept || report.fixed?.symptom === false;
}
