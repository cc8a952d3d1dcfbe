import { green, red, yellow } from "../cli/color.js";
import type { RendererChoice } from "../cli/renderer.js";
import { LabError } from "../errors.js";

/**
 * The one runner and the one table of lab:doctor, lab:smoke and lab:status. Each command's checks
 * return results in the command's own JSON shape; a check that throws becomes a failed result
 * carrying the error's message (and its hint as the fix), so a crash is always a ✗ row, counted
 * as a failure, and never hidden behind "passed".
 */

/** pass ✓, warn !, fail ✗, skip -, and none for a plain line of facts (an endpoint's URL). */
export type Mark = "pass" | "warn" | "fail" | "skip" | "none";

/** One line of a check table. */
export interface Row {
  readonly mark: Mark;
  readonly name: string;
  /** What was found; lines after the first go under the row. */
  readonly detail: string;
  /** What to do about it, shown under a row that did not pass. */
  readonly fix?: string;
  /** Facts shown under the row, indented (a component's pods). */
  readonly lines?: readonly string[];
}

/** What a check that threw left: its message (or that the run was interrupted) and the error's hint. */
export interface Thrown {
  readonly detail: string;
  readonly fix?: string;
}

/** How a command's results become rows, and what stands for a check that threw. */
export interface RowKind<R> {
  row(result: R): Row;
  thrown(title: string, failure: Thrown): R;
}

/** One check: a title (its listr2 task, and the name of its row should it throw) and what it does. */
export interface Check<R> {
  readonly title: string;
  /** The check's results; `progress` shows a line under its task while it runs. */
  run(progress: (line: string) => void): Promise<R | readonly R[]>;
}

export interface RunChecksOptions {
  /** Show the checks as a listr2 task list on stderr with this renderer; without it they run quietly. */
  readonly renderer?: RendererChoice;
  /** The run's interrupt: a check that throws after it was aborted says it was stopped. */
  readonly signal?: AbortSignal;
}

export function describeThrow(error: unknown, signal?: AbortSignal): Thrown {
  if (signal?.aborted) return { detail: "stopped by the interrupt" };
  const message = error instanceof Error ? error.message : String(error);
  return { detail: message.trim() || String(error), ...(error instanceof LabError && error.hint ? { fix: error.hint } : {}) };
}

async function runOne<R>(check: Check<R>, kind: RowKind<R>, options: RunChecksOptions, progress: (line: string) => void): Promise<R[]> {
  try {
    const results = await check.run(progress);
    return Array.isArray(results) ? [...(results as readonly R[])] : [results as R];
  } catch (error) {
    return [kind.thrown(check.title, describeThrow(error, options.signal))];
  }
}

/** A task's failure as listr2 shows it under the task: the rows that failed, first line each. */
class RowsFailed extends Error {
  override name = "RowsFailed";
}

/**
 * Runs checks one after another and returns every result in order. Through listr2 (when a
 * renderer is given) a task fails when any of its rows fails and is shown skipped when all of
 * them are skips; the list never stops at a failure. listr2 loads only then (lab:status's first
 * line does not wait for it).
 */
export async function runChecks<R>(checks: readonly Check<R>[], kind: RowKind<R>, options: RunChecksOptions = {}): Promise<R[]> {
  const byCheck = new Map<Check<R>, R[]>();
  if (options.renderer === undefined) {
    for (const check of checks) byCheck.set(check, await runOne(check, kind, options, () => undefined));
  } else {
    const { taskList } = await import("../cli/tasks.js");
    const tasks = taskList(
      checks.map((check) => ({
        title: check.title,
        task: async (_, task) => {
          const results = await runOne(check, kind, options, (line) => (task.output = line));
          byCheck.set(check, results);
          const rows = results.map((r) => kind.row(r));
          const failed = rows.filter((r) => r.mark === "fail");
          if (failed.length > 0) throw new RowsFailed(failed.map((r) => `${r.name}: ${r.detail.split("\n")[0]}`).join("; "));
          if (rows.length > 0 && rows.every((r) => r.mark === "skip")) task.skip(rows.map((r) => `${r.name}: ${r.detail}`).join("; "));
        },
      })),
      options.renderer,
      { exitOnError: false },
    );
    await tasks.run();
  }
  // A check listr2 never ran is a failure too, so a quirk of the task list cannot pass for success.
  return checks.flatMap((check) => byCheck.get(check) ?? [kind.thrown(check.title, { detail: "did not run" })]);
}

/** The rows that failed. */
export function failures<R>(results: readonly R[], kind: RowKind<R>): R[] {
  return results.filter((r) => kind.row(r).mark === "fail");
}

const MARKS: Record<Mark, string> = { pass: "✓", warn: "!", fail: "✗", skip: "-", none: " " };
const PAINT: Partial<Record<Mark, (text: string) => string>> = { pass: green, warn: yellow, fail: red };

/**
 * One row for stdout: `✓ name: detail`, further detail lines, `fix: …` under a row that did not
 * pass, then its facts. The mark is coloured when stdout takes colour (lab/cli/color.ts: a
 * terminal, never under NO_COLOR), decided when the row is printed.
 */
export function formatRow(row: Row): string {
  const [first = "", ...more] = row.detail.split("\n");
  const mark = PAINT[row.mark]?.(MARKS[row.mark]) ?? MARKS[row.mark];
  const lines = [`${mark} ${row.name}: ${first}`, ...more.map((l) => `    ${l}`)];
  if (row.fix && row.mark !== "pass") lines.push(`    fix: ${row.fix}`);
  for (const l of row.lines ?? []) lines.push(`    ${l}`);
  return lines.join("\n");
}

export function formatRows(rows: readonly Row[]): string {
  return rows.map(formatRow).join("\n");
}
