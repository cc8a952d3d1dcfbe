import type { LabContext } from "../context.js";
import { getDeployment } from "../tools/kubectl.js";
import { NAMES } from "../topology/names.js";
import { clusterState } from "../tools/minikube.js";

/**
 * lab:status in miniature, for commands that need a lab to act on (smoke, repro): the minikube
 * profile running (or, with --context, the cluster answering) and the lab's build-cloud Deployment
 * there. Undefined when the lab is up; otherwise the one line to print, with the next command.
 */
export async function labNotUp(ctx: LabContext): Promise<string | undefined> {
  const next = ctx.usesMinikube ? "npm run lab:up" : `npm run lab:up -- --context ${ctx.kubeContext}`;
  if (ctx.usesMinikube) {
    const cluster = await clusterState(ctx.runner, ctx.config.profile);
    if (cluster.kind !== "running") return `the lab is not up (minikube profile ${ctx.config.profile}: ${cluster.kind}); start it with ${next}`;
  }
  let deployment;
  try {
    deployment = await getDeployment(ctx, NAMES.buildCloud);
  } catch (error) {
    return `the lab is not up (kube context ${ctx.kubeContext} does not answer: ${(error as Error).message.split("\n")[0]}); start it with ${next}`;
  }
  if (!deployment) return `the lab is not up (no ${NAMES.buildCloud} in namespace ${ctx.config.namespace} on ${ctx.kubeContext}); start it with ${next}`;
  return undefined;
}
