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
  /**
   * What takes back this step's change if the run is stopped (Ctrl-C, SIGTERM) at this step or a
   * later one: registered before the change starts, so a stop in the middle of it is covered too.
   */
  onUndo(undo: () => Promise<unknown>): void;
}

/** One thing lab:up (or lab:down) does; it checks the current state first and does nothing when it holds. */
export interface Step {
  readonly id: string;
  readonly title: string;
  /** What the step does, in one line: README's and --help's step lists are generated from it (scripts/docs.ts). */
  readonly summary: string;
  /** When the step runs, if not on every run ("with ingress.tls"); minikubeOnly adds its own. */
  readonly when?: string;
  /** False leaves the step out of this run (Ingress TLS when it is off). */
  enabled?(ctx: LabContext): boolean;
  /** Set by minikubeOnly: the step is left out with --context, where there is no minikube. */
  readonly minikubeOnly?: true;
  run(ctx: LabContext, report: StepReport): Promise<void>;
}

/**
 * The steps that only exist on the lab's own minikube profile; with --context (a cluster the user
 * brings) they are left out. Used in the up and down lists, so the group shows where it is listed
 * (as kind builds its create actions: sigs.k8s.io/kind pkg/cluster/internal/create/create.go).
 */
export function minikubeOnly(...steps: Step[]): Step[] {
  return steps.map((step) => ({
    ...step,
    run: step.run.bind(step),
    minikubeOnly: true as const,
    when: ["minikube only", step.when].filter(Boolean).join("; "),
    enabled: (ctx: LabContext) => ctx.usesMinikube && (step.enabled?.(ctx) ?? true),
  }));
}

/** What a step would do under --dry-run, from the plan lines it added. */
export function wouldLines(planned: readonly string[]): string {
  if (planned.length === 0) return "would change nothing";
  return planned.map((p) => (/\bwould\b/.test(p) ? p : /^wait /.test(p) ? `would ${p}` : /^(with|if) /.test(p) ? `would, ${p}` : `would run: ${p}`)).join("\n");
}

/** An interrupted run (Ctrl-C or SIGTERM). */
export class InterruptedError extends LabError {
  override name = "InterruptedError";
  /** What the undos of the steps run so far did, one line each, for the command to print. */
  undone: string[] = [];
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
  const undos: { step: string; undo: () => Promise<unknown> }[] = [];
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
            onUndo: (undo) => {
              if (!ctx.dryRun) undos.push({ step: step.title, undo });
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
  try {
    await list.run();
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    // Newest first, as a stack unwinds; an undo that fails is said, and the others still run.
    for (const { step, undo } of undos.reverse()) {
      try {
        await undo();
        error.undone.push(`undone: ${step}`);
      } catch (undoError) {
        error.undone.push(`could not undo ${step}: ${(undoError as Error).message.split("\n")[0]}`);
      }
    }
    throw error;
  }
  if (!ctx.dryRun)
    ctx.state.update((state) => {
      state.finishedAt = new Date().toISOString();
    });
}
