import type { LabConfig } from "./config/schema.js";
import { pasteable, type RunOptions, type RunResult, type Runner } from "./exec/types.js";
import type { StateStore } from "./state.js";

/** How long waits may take and how often they look; tests shrink both. */
export interface WaitTimings {
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/**
 * Everything a lab step needs, passed to each; no globals. Reads go through `run`, anything that
 * changes the cluster, the tunnel or the disk through `change`, so --dry-run can run the reads
 * and only record the changes.
 */
export class LabContext {
  /** Changes --dry-run recorded instead of making. */
  readonly plan: string[] = [];
  /**
   * Set under --dry-run when the plan creates the cluster: later steps cannot read a cluster that
   * exists only in the plan, so they plan from a fresh one instead.
   */
  plannedFreshCluster = false;

  constructor(
    readonly config: LabConfig,
    readonly runner: Runner,
    readonly state: StateStore,
    readonly options: {
      readonly dryRun: boolean;
      readonly waits: WaitTimings;
      readonly signal: AbortSignal;
      readonly hostsFile: string;
      /** Whether a person can answer a question on this terminal. */
      readonly interactive: boolean;
      readonly confirm: (question: string) => Promise<boolean>;
      /** Whether writing /etc/hosts needs sudo (not when already root). */
      readonly needsSudo: boolean;
    },
  ) {}

  /** The kube context every kubectl call names: --context, or the minikube profile's. */
  get kubeContext(): string {
    return this.config.context ?? this.config.profile;
  }

  /** False when the lab runs on an existing context: no minikube steps at all. */
  get usesMinikube(): boolean {
    return this.config.context === undefined;
  }

  get dryRun(): boolean {
    return this.options.dryRun;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.runner.run(argv, options);
  }

  /** A command that changes something; under --dry-run it is recorded and reported as done. */
  async change(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    if (this.options.dryRun) {
      this.plan.push(pasteable(argv) + (options?.input ? " < (rendered manifests)" : ""));
      return { argv, exitCode: 0, stdout: "", stderr: "" };
    }
    return this.runner.run(argv, options);
  }

  /** The --dry-run plan, as the commands print it. */
  formatPlan(): string {
    return ["Plan (--dry-run; nothing was changed):", ...this.plan.map((p, i) => `  ${i + 1}. ${p}`)].join("\n");
  }

}
