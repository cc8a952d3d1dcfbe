import type { LabContext } from "./context.js";
import { removeHostsBlock } from "./hosts.js";
import { PRUNABLE_RESOURCES } from "./kube/kubectl.js";
import { LAB_SELECTOR } from "./manifests/names.js";
import { clusterState } from "./minikube/minikube.js";
import { stopTunnel } from "./minikube/tunnel.js";
import type { Step } from "./steps/step.js";

export interface DownOptions {
  readonly purge: boolean;
  readonly deleteCluster: boolean;
}


/** Whether the cluster can be talked to; lab:down is safe when nothing is up. */
async function clusterReachable(ctx: LabContext): Promise<{ reachable: boolean; why: string }> {
  if (ctx.usesMinikube) {
    const state = await clusterState(ctx.runner, ctx.config.profile);
    if (state.kind !== "running") return { reachable: false, why: `minikube profile ${ctx.config.profile} is ${state.kind}` };
    return { reachable: true, why: "" };
  }
  const probe = await ctx.run(ctx.kubectl("get", "namespace", ctx.config.namespace, "-o", "name"), { allowFailure: true, timeoutMs: 30_000 });
  return probe.exitCode === 0 ? { reachable: true, why: "" } : { reachable: false, why: `namespace ${ctx.config.namespace} not found in ${ctx.kubeContext}` };
}

export function downSteps(options: DownOptions): Step[] {
  let reachable: { reachable: boolean; why: string } | undefined;
  const reach = async (ctx: LabContext) => (reachable ??= await clusterReachable(ctx));
  return [
    {
      id: "tunnel",
      title: "stop minikube tunnel",
      enabled: (ctx) => ctx.usesMinikube,
      async run(ctx, report) {
        if ((await stopTunnel(ctx)) === "not running") report.skip("not running");
      },
    },
    {
      id: "objects",
      title: "remove the lab's objects (data kept)",
      async run(ctx, report) {
        const { reachable: ok, why } = await reach(ctx);
        if (!ok) return report.skip(`${why}; nothing to remove`);
        await ctx.change(
          ctx.kubectl("delete", "-n", ctx.config.namespace, PRUNABLE_RESOURCES.join(","), "-l", LAB_SELECTOR, "--ignore-not-found", "--wait=true", "--timeout=180s"),
          { timeoutMs: 240_000 },
        );
        report.output(`removed; the registry and etcd volumes stay${options.purge ? "" : " (npm run lab:down -- --purge removes them)"}`);
      },
    },
    {
      id: "purge",
      title: "delete registry and etcd data (--purge)",
      enabled: () => options.purge,
      async run(ctx, report) {
        const { reachable: ok, why } = await reach(ctx);
        if (!ok) return report.skip(`${why}; no volumes to delete`);
        await ctx.change(ctx.kubectl("delete", "-n", ctx.config.namespace, "pvc", "-l", LAB_SELECTOR, "--ignore-not-found", "--wait=true", "--timeout=180s"), {
          timeoutMs: 240_000,
        });
        await ctx.change(ctx.kubectl("delete", "namespace", ctx.config.namespace, "--ignore-not-found", "--wait=true", "--timeout=180s"), { timeoutMs: 240_000 });
        report.output("volumes and namespace deleted");
      },
    },
    {
      id: "hosts",
      title: "remove the /etc/hosts block",
      async run(ctx, report) {
        const { outcome, backup } = await removeHostsBlock(ctx);
        if (outcome === "absent") report.skip(`no anka-lab block in ${ctx.options.hostsFile}`);
        else report.output(`removed (backup in ${backup})`);
      },
    },
    {
      id: "delete-cluster",
      title: "delete the minikube profile (--delete-cluster)",
      enabled: (ctx) => options.deleteCluster && ctx.usesMinikube,
      async run(ctx, report) {
        const state = await clusterState(ctx.runner, ctx.config.profile);
        if (state.kind === "missing") return report.skip(`profile ${ctx.config.profile} does not exist`);
        await ctx.change(["minikube", "delete", "-p", ctx.config.profile], { timeoutMs: 300_000 });
      },
    },
  ];
}
