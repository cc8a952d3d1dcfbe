import type { LabContext } from "../context.js";
import { CommandError } from "../exec/types.js";
import { namespaceExists } from "../tools/kubectl.js";
import { clusterState } from "../tools/minikube.js";

export interface DownOptions {
  readonly purge: boolean;
  readonly deleteCluster: boolean;
}

/** What lab:down did with the data, for its last line: it must say the truth. */
export interface DownOutcome {
  /** Nothing to take down at all (no minikube installed). */
  nothing?: string;
  /** --purge asked, and the data is gone (or went with the profile). */
  purged?: boolean;
  /** --purge asked, but this stays: what and how to remove it. */
  kept?: string;
}

export type Reach = { reachable: true } | { reachable: false; why: string; state?: string };

/**
 * What one lab:down run knows, shared by its steps: the flags, what became of the data (its last
 * line reports it), and whether the cluster can be talked to, asked once: lab:down is safe when
 * nothing is up, or minikube is not even installed.
 */
export class DownRun {
  private reach: Promise<Reach> | undefined;
  constructor(
    readonly options: DownOptions,
    readonly outcome: DownOutcome = {},
  ) {}

  reachable(ctx: LabContext): Promise<Reach> {
    return (this.reach ??= clusterReachable(ctx));
  }
}

async function clusterReachable(ctx: LabContext): Promise<Reach> {
  if (ctx.usesMinikube) {
    let state;
    try {
      state = await clusterState(ctx.runner, ctx.config.profile);
    } catch (error) {
      if (error instanceof CommandError && error.result.exitCode === 127) return { reachable: false, why: "minikube is not installed", state: "not installed" };
      throw error;
    }
    if (state.kind !== "running")
      return { reachable: false, why: `minikube profile ${ctx.config.profile} is ${state.kind}${"detail" in state ? ` (${state.detail})` : ""}`, state: state.kind };
    return { reachable: true };
  }
  return (await namespaceExists(ctx)) ? { reachable: true } : { reachable: false, why: `namespace ${ctx.config.namespace} not found in ${ctx.kubeContext}` };
}
