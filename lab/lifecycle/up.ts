import type { LabContext } from "../context.js";
import type { HostFacts } from "../checks/doctor.js";
import { hostsResolved } from "../tools/hostsFile.js";
import { NAMES } from "../topology/names.js";
import { clusterStep, contextStep } from "./steps/cluster.js";
import { preflightStep } from "./steps/preflight.js";
import { etcdMembersStep } from "./steps/etcdMembers.js";
import { hostsStep, type HostsChoice } from "./steps/hosts.js";
import { ingressStep } from "./steps/ingress.js";
import { applyStep } from "./steps/objects.js";
import { minikubeOnly, type Step } from "./step.js";
import { storageStep } from "./steps/storage.js";
import { ingressTlsStep } from "./steps/tls.js";
import { tunnelStep } from "./steps/tunnel.js";
import { loadBalancerAddress } from "../observe.js";
import { buildCloudReadyStep, etcdQuorumStep, loadBalancersStep, servicesAnswerStep } from "./steps/waits.js";

/**
 * THE lab:up list, in order; README's and --help's step lists are generated from it. Each step
 * checks first and does nothing when its state already holds, so a rerun (or a run after Ctrl-C)
 * carries on. The minikube group is left out with --context, where the user brings the cluster.
 */
export function upSteps(options: { hosts: HostsChoice; hostFacts?: HostFacts }): Step[] {
  return [
    preflightStep(options.hostFacts),
    ...minikubeOnly(clusterStep, contextStep, ingressStep),
    storageStep,
    ...minikubeOnly(tunnelStep),
    etcdMembersStep,
    applyStep,
    ingressTlsStep,
    etcdQuorumStep,
    buildCloudReadyStep,
    loadBalancersStep,
    servicesAnswerStep,
    hostsStep(options.hosts),
  ];
}

/** Where everything is after a successful lab:up, for --json. */
export interface UpEndpoints {
  readonly controller: string;
  readonly registry: string;
  readonly ingress?: string;
  readonly kubeContext: string;
  readonly namespace: string;
}

export async function upEndpoints(ctx: LabContext): Promise<UpEndpoints> {
  const c = ctx.config;
  const controllerIp = (await loadBalancerAddress(ctx, NAMES.controllerService)) ?? "(pending)";
  const registryIp = (await loadBalancerAddress(ctx, NAMES.registryService)) ?? "(pending)";
  const named = hostsResolved(ctx);
  return {
    controller: `http://${named ? c.controller.hostname : controllerIp}:${c.controller.port}`,
    registry: `http://${named ? c.registry.hostname : registryIp}:${c.registry.port}`,
    ...(ctx.usesMinikube ? { ingress: `http://${c.registry.hostname}:${c.ingress.port}` } : {}),
    kubeContext: ctx.kubeContext,
    namespace: c.namespace,
  };
}

/** Where everything is, printed after a successful lab:up. */
export async function upSummary(ctx: LabContext): Promise<string> {
  const c = ctx.config;
  const controllerIp = ctx.dryRun ? "127.0.0.1" : ((await loadBalancerAddress(ctx, NAMES.controllerService)) ?? "(pending)");
  const registryIp = ctx.dryRun ? "127.0.0.1" : ((await loadBalancerAddress(ctx, NAMES.registryService)) ?? "(pending)");
  const named = hostsResolved(ctx);
  const host = (name: string, ip: string) => (named ? name : ip);
  const lines = [
    "The Anka Build Cloud lab is up.",
    `  controller   http://${host(c.controller.hostname, controllerIp)}:${c.controller.port}   (LoadBalancer ${controllerIp}:${c.controller.port})`,
    `  registry     http://${host(c.registry.hostname, registryIp)}:${c.registry.port}   (LoadBalancer ${registryIp}:${c.registry.port})`,
  ];
  if (ctx.usesMinikube)
    lines.push(
      `  ingress      http://${c.registry.hostname}:${c.ingress.port}/ and http://${c.controller.hostname}:${c.ingress.port}/${named ? "" : "   (needs the /etc/hosts entries: npm run lab:up -- --hosts)"}`,
    );
  lines.push(
    `  kube context ${ctx.kubeContext}, namespace ${c.namespace}: kubectl --context ${ctx.kubeContext} -n ${c.namespace} get pods`,
    "",
    "Push a VM template with the Anka CLI:",
    `  anka registry add lab http://${host(c.registry.hostname, registryIp)}:${c.registry.port}`,
    "  anka registry -r lab push <template> -t <tag>",
    "Prove the HA claims:   npm run lab:smoke",
    "Status:                npm run lab:status",
    "Tear down:             npm run lab:down   (keeps registry and etcd data; --purge removes it)",
  );
  return lines.join("\n");
}
