import { minikubeOnly, type Step } from "./step.js";
import { DownRun, type DownOptions, type DownOutcome } from "./downRun.js";
import { deleteClusterStep } from "./steps/cluster.js";
import { removeHostsStep } from "./steps/hosts.js";
import { purgeDataStep, removeObjectsStep } from "./steps/objects.js";
import { stopTunnelStep } from "./steps/tunnel.js";

export type { DownOptions, DownOutcome } from "./downRun.js";
export { HOSTPATH_DIR } from "./steps/objects.js";

/**
 * THE lab:down list, in order. Each step's lab:up twin sits beside it in the same file under
 * steps/. Data (claims, namespace) goes only with --purge; the profile only with --delete-cluster.
 */
export function downSteps(options: DownOptions, outcome: DownOutcome = {}): Step[] {
  const run = new DownRun(options, outcome);
  return [
    ...minikubeOnly(stopTunnelStep),
    removeObjectsStep(run),
    ...(options.purge ? [purgeDataStep(run)] : []),
    removeHostsStep,
    ...(options.deleteCluster ? minikubeOnly(deleteClusterStep(run)) : []),
  ];
}
