import { CommandError } from "../../exec/types.js";
import { contextNamespace, setContextNamespace } from "../../tools/kubectl.js";
import { clusterState, deleteProfile, profileConfig, profileDrift, startProfile } from "../../tools/minikube.js";
import type { DownRun } from "../downRun.js";
import type { Step } from "../step.js";
import { LabError } from "../../errors.js";

/**
 * The minikube profile, started once with every setting explicit. A running profile is never
 * started again (a second `minikube start` is idempotent but slow and re-applies addons). A stopped
 * one is started, but its saved settings are compared with the config first: `minikube start` on an
 * existing profile writes --ports, --container-runtime and --kubernetes-version into the saved
 * config without recreating the node container (minikube cmd/minikube/cmd/start_flags.go
 * updateExistingConfigFromFlags: updateStringSliceFromFlag(cmd, &cc.ExposedPorts, ports), …), and
 * the published ports stay what `docker run` got at creation
 * (pkg/minikube/registry/drvs/docker/docker.go), so after the start the saved config would no
 * longer say what the node really publishes.
 */
export const clusterStep: Step = {
  id: "cluster",
  title: "minikube cluster",
  summary: "the minikube profile, created with sized resources, a pinned Kubernetes version and runtime, and the ingress published on 127.0.0.1:<ingress.port>; its output goes to .lab/minikube-start.log, the latest line shown live",
  async run(ctx, report) {
    const state = await clusterState(ctx.runner, ctx.config.profile).catch((error) => {
      // --dry-run on a Mac without minikube yet: plan from a cluster that does not exist.
      if (ctx.dryRun && error instanceof CommandError && error.result.exitCode === 127) return { kind: "missing" as const };
      throw error;
    });
    // minikube start takes minutes: its output goes to a log, and its latest line shows under the step.
    const log = ctx.state.path("minikube-start.log");
    const start = () => startProfile(ctx, log, (line) => report.output(line.trim()));
    if (state.kind === "missing") {
      report.output(`creating profile ${ctx.config.profile} (first run pulls images; takes minutes; log in ${log})`);
      await start();
      ctx.plannedFreshCluster = ctx.dryRun;
      return;
    }
    if (state.kind === "docker down")
      throw new LabError(`Docker is not running, so minikube cannot reach profile ${ctx.config.profile}'s node`, {
        hint: "start Docker Desktop (open -a Docker), wait until it says it is running, then npm run lab:up",
      });
    // Read before any start: a start rewrites what profile list reports.
    const actual = await profileConfig(ctx.runner, ctx.config.profile);
    const drift = actual ? profileDrift(ctx.config, actual) : [];
    const recreate = "to recreate it: npm run lab:down -- --delete-cluster --purge && npm run lab:up";
    if (state.kind === "stopped" || state.kind === "broken") {
      report.output(
        `profile ${ctx.config.profile} is ${state.kind === "stopped" ? "stopped" : `unhealthy (${state.detail})`}; starting it` +
          (drift.length ? ` (it keeps its node as created: ${drift.join("; ")}; ${recreate})` : ""),
      );
      await start();
      return;
    }
    if (drift.length > 0) {
      report.output(`profile ${ctx.config.profile} differs from the config: ${drift.join("; ")}. It keeps its settings; ${recreate}`);
    } else {
      report.skip(`profile ${ctx.config.profile} is running with the configured settings`);
    }
  },
};

/** The profile's kube context, with the lab namespace as its default, for people using kubectl by hand. */
export const contextStep: Step = {
  id: "context",
  title: "kube context",
  summary: "the profile's kube context, with the lab namespace as its default (your current context is left alone)",
  async run(ctx, report) {
    if (ctx.plannedFreshCluster) {
      await setContextNamespace(ctx);
      return;
    }
    const current = await contextNamespace(ctx);
    if (!current.exists && !ctx.dryRun)
      throw new LabError(`kube context ${ctx.kubeContext} does not exist after minikube start`, {
        hint: `minikube -p ${ctx.config.profile} update-context`,
      });
    if (current.namespace === ctx.config.namespace) {
      report.skip(`context ${ctx.kubeContext} uses namespace ${ctx.config.namespace}`);
      return;
    }
    await setContextNamespace(ctx);
    report.output(`context ${ctx.kubeContext} now defaults to namespace ${ctx.config.namespace}`);
  },
};

/** lab:down --delete-cluster: the whole profile goes, and the data with it (its volumes live in the node). */
export function deleteClusterStep(run: DownRun): Step {
  return {
    id: "delete-cluster",
    title: "delete the minikube profile (--delete-cluster)",
    summary: "minikube delete: the node container and its volume go, the data with them",
    async run(ctx, report) {
      const r = await run.reachable(ctx);
      if (!r.reachable && (r.state === "missing" || r.state === "not installed")) return report.skip(`${r.why}; nothing to delete`);
      await deleteProfile(ctx);
      run.outcome.purged = true;
      run.outcome.kept = undefined;
    },
  };
}
