import { SIGNAL_EXIT_CODES, StopRequested } from "../cli/signals.js";
import { LabError } from "../errors.js";
import { taskList, type RendererChoice } from "../cli/tasks.js";
import { formatDuration } from "../transfer/progress.js";
import type { LabContext } from "../context.js";

/** What a step may say while it runs; steps never print. */
export interface StepReport {
  /** A progress or result line under the step's title. */
  output(text: string): void;
  /** Marks the step as having nothing to do, with the reason. */
  skip(reason: string): void;
}

/** One thing lab:up (or lab:down) does; it checks the current state first and does nothing when it holds. */
export interface Step {
  readonly id: string;
  readonly title: string;
  /** False leaves the step out (e.g. minikube steps on --context). */
  enabled?(ctx: LabContext): boolean;
  run(ctx: LabContext, report: StepReport): Promise<void>;
}

/** What a step would do under --dry-run, from the plan lines it added. */
export function wouldLines(planned: readonly string[]): string {
  if (planned.length === 0) return "would change nothing";
  return planned.map((p) => (/\bwould\b/.test(p) ? p : /^wait /.test(p) ? `would ${p}` : /^(with|if) /.test(p) ? `would, ${p}` : `would run: ${p}`)).join("\n");
}

/** An interrupted run (Ctrl-C or SIGTERM). */
export class InterruptedError extends LabError {
  override name = "InterruptedError";
  constructor(
    readonly step: string,
    signal?: AbortSignal,
  ) {
    super(`interrupted during "${step}"`, { exitCode: signal?.reason instanceof StopRequested ? signal.reason.exitCode : SIGNAL_EXIT_CODES.SIGINT });
  }
}

function stopReason(signal: AbortSignal): string {
  return signal.reason instanceof StopRequested ? signal.reason.message : "interrupted (Ctrl-C)";
}

/**
 * Runs steps in order as a listr2 list, recording in .lab/state.json which step is running, done,
 * skipped or failed, so an interrupted or failed run says where it stopped and the next run carries
 * on (every step is idempotent).
 */
export async function runSteps(ctx: LabContext, command: string, steps: readonly Step[], renderer: RendererChoice): Promise<void> {
  const enabled = steps.filter((s) => s.enabled?.(ctx) ?? true);
  if (!ctx.dryRun)
    ctx.state.update((state) => {
      state.profile = ctx.config.profile;
      state.lastCommand = command;
      state.startedAt = new Date().toISOString();
      state.finishedAt = undefined;
      state.stoppedAt = undefined;
      state.stoppedBecause = undefined;
      state.steps = {};
    });
  const mark = (id: string, status: "running" | "done" | "failed" | "skipped", why?: string) => {
    if (ctx.dryRun) return;
    ctx.state.update((state) => {
      state.steps[id] = status;
      if (status === "failed") {
        state.stoppedAt = id;
        state.stoppedBecause = why;
      }
    });
  };
  const list = taskList(
    enabled.map((step) => ({
      title: step.title,
      task: async (_, task) => {
        if (ctx.options.signal.aborted) {
          mark(step.id, "failed", stopReason(ctx.options.signal));
          throw new InterruptedError(step.id, ctx.options.signal);
        }
        mark(step.id, "running");
        let skipped = false;
        const planned = ctx.plan.length;
        const started = Date.now();
        let last = "";
        try {
          await step.run(ctx, {
            output: (text) => {
              // Under --dry-run a step's own words ("3/3 members healthy") would claim what did not
              // happen; the plan lines it added say what it would do instead (below).
              if (ctx.dryRun) return;
              const repeated = text === last;
              last = text;
              if (!text.startsWith("waiting: ")) task.output = text;
              // A wait says how long it has waited, of its deadline; plain lines (CI logs, pipes)
              // print a wait again only when its reason changes, not at every poll.
              else if (renderer === "default" || !repeated)
                task.output = `${text} (${formatDuration((Date.now() - started) / 1000)} of ${formatDuration(ctx.options.waits.timeoutMs / 1000)})`;
            },
            skip: (reason) => {
              skipped = true;
              task.skip(reason);
            },
          });
          if (ctx.dryRun && !skipped) task.output = wouldLines(ctx.plan.slice(planned));
        } catch (error) {
          const interrupted = ctx.options.signal.aborted;
          mark(step.id, "failed", interrupted ? stopReason(ctx.options.signal) : (error as Error).message.split("\n")[0]);
          throw interrupted ? new InterruptedError(step.id, ctx.options.signal) : error;
        }
        mark(step.id, skipped ? "skipped" : "done");
      },
    })),
    renderer,
    { exitOnError: true },
  );
  await list.run();
  if (!ctx.dryRun)
    ctx.state.update((state) => {
      state.finishedAt = new Date().toISOString();
    });
}
