import type { LabContext } from "../context.js";
import { removeHostsBlock } from "../tools/hostsFile.js";
import { CommandError } from "../exec/types.js";
import { PRUNABLE_RESOURCES, getList, getOne } from "../tools/kubectl.js";
import { LAB_SELECTOR } from "../topology/names.js";
import { clusterState } from "../tools/minikube.js";
import { stopTunnel } from "../tools/tunnel.js";
import type { Step } from "./step.js";
import { LabError } from "../errors.js";

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

/** Where minikube's storage-provisioner keeps a claim's data on the node (minikube pkg/storage/storage_provisioner.go Provision: path.Join(pvDir, namespace, claim)). */
export const HOSTPATH_DIR = "/tmp/hostpath-provisioner";
const HOSTPATH_PROVISIONER = "k8s.io/minikube-hostpath";

type Reach = { reachable: true } | { reachable: false; why: string; state?: string };

/** Whether the cluster can be talked to; lab:down is safe when nothing is up, or minikube is not even installed. */
async function clusterReachable(ctx: LabContext): Promise<Reach> {
  if (ctx.usesMinikube) {
    let state;
    try {
      state = await clusterState(ctx.runner, ctx.config.profile);
    } catch (error) {
      if (error instanceof CommandError && error.result.exitCode === 127)
        return { reachable: false, why: "minikube is not installed", state: "not installed" };
      throw error;
    }
    if (state.kind !== "running")
      return { reachable: false, why: `minikube profile ${ctx.config.profile} is ${state.kind}${"detail" in state ? ` (${state.detail})` : ""}`, state: state.kind };
    return { reachable: true };
  }
  const probe = await ctx.run(ctx.kubectl("get", "namespace", ctx.config.namespace, "-o", "name"), { allowFailure: true, timeoutMs: 30_000 });
  return probe.exitCode === 0 ? { reachable: true } : { reachable: false, why: `namespace ${ctx.config.namespace} not found in ${ctx.kubeContext}` };
}

/** The node directories behind the lab's claims, when minikube's hostpath provisioner made them. */
async function hostpathVolumes(ctx: LabContext): Promise<{ pv: string; path: string }[]> {
  const claims = await getList(ctx, ["pvc", "-n", ctx.config.namespace, "-l", LAB_SELECTOR]);
  const volumes: { pv: string; path: string }[] = [];
  for (const claim of claims) {
    const name = claim.spec?.volumeName as string | undefined;
    if (!name) continue;
    const pv = await getOne(ctx, ["pv", name]);
    const path = pv?.spec?.hostPath?.path as string | undefined;
    const by = (pv?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.["pv.kubernetes.io/provisioned-by"];
    // Only the provisioner's own layout: <dir>/<namespace>/<claim>; anything else is not ours to rm -rf.
    if (by === HOSTPATH_PROVISIONER && path === `${HOSTPATH_DIR}/${ctx.config.namespace}/${claim.metadata.name}`) volumes.push({ pv: name, path });
  }
  return volumes;
}

export function downSteps(options: DownOptions, outcome: DownOutcome = {}): Step[] {
  let reachable: Reach | undefined;
  const reach = async (ctx: LabContext) => (reachable ??= await clusterReachable(ctx));
  const profile = (ctx: LabContext) => ctx.config.profile;
  return [
    {
      id: "tunnel",
      title: "stop minikube tunnel",
      enabled: (ctx) => ctx.usesMinikube,
      async run(ctx, report) {
        const stopped = await stopTunnel(ctx);
        if (stopped === "not running") report.skip("not running");
        else if (stopped === "left to its owner") report.skip("a tunnel you started: left running (stop it with Ctrl-C in its terminal)");
      },
    },
    {
      id: "objects",
      title: "remove the lab's objects (data kept)",
      async run(ctx, report) {
        const r = await reach(ctx);
        if (!r.reachable) {
          if (r.state === "not installed") outcome.nothing = "minikube is not installed, so there is no lab cluster to take down";
          return report.skip(`${r.why}; nothing to remove`);
        }
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
        const r = await reach(ctx);
        if (!r.reachable) {
          if (r.state === "not installed" || r.state === "missing") {
            outcome.purged = true;
            return report.skip(`${r.why}; no data to delete`);
          }
          if (options.deleteCluster && ctx.usesMinikube) return report.skip(`${r.why}; its data goes with the profile (--delete-cluster)`);
          outcome.kept =
            `${r.why}, so nothing was deleted: the registry's templates and etcd's data stay in its volumes` +
            (ctx.usesMinikube
              ? ` (on the node, under ${HOSTPATH_DIR}/${ctx.config.namespace}/). To delete them: minikube start -p ${profile(ctx)} && npm run lab:down -- --purge --yes; ` +
                `or delete the whole profile: npm run lab:down -- --delete-cluster --purge --yes`
              : `. To delete them, make the context reachable and run npm run lab:down -- --purge --yes again`);
          return report.skip(`${r.why}; nothing deleted`);
        }
        // minikube's provisioner refuses to delete volumes an earlier run of it made (a new identity
        // per start: pkg/storage/storage_provisioner.go NewHostPathProvisioner `identity: uuid.NewUUID()`,
        // Delete returns IgnoredError on a mismatch), so after any minikube stop/start the directory
        // stays and the next claim of the same name gets it back. The lab deletes it itself.
        const volumes = ctx.usesMinikube && !ctx.dryRun ? await hostpathVolumes(ctx) : [];
        await ctx.change(ctx.kubectl("delete", "-n", ctx.config.namespace, "pvc", "-l", LAB_SELECTOR, "--ignore-not-found", "--wait=true", "--timeout=180s"), {
          timeoutMs: 240_000,
        });
        await ctx.change(ctx.kubectl("delete", "namespace", ctx.config.namespace, "--ignore-not-found", "--wait=true", "--timeout=180s"), { timeoutMs: 240_000 });
        if (ctx.usesMinikube && ctx.dryRun)
          ctx.plan.push(`minikube ssh -p ${profile(ctx)} -- sudo rm -rf ${HOSTPATH_DIR}/${ctx.config.namespace}/<claim>   (each lab volume's directory on the node; then checked gone)`);
        const left: string[] = [];
        for (const { pv, path } of volumes) {
          // A Released volume the provisioner will not delete: its object goes too.
          await ctx.change(ctx.kubectl("delete", "pv", pv, "--ignore-not-found", "--wait=true", "--timeout=60s"), { timeoutMs: 90_000 });
          // `minikube ssh -p P -- cmd` runs cmd on the node as user docker, which has sudo; a remote
          // failure exits 1 (minikube cmd/minikube/cmd/ssh.go: os.Exit(1) on any CreateSSHShell error).
          await ctx.change(["minikube", "ssh", "-p", profile(ctx), "--", "sudo", "rm", "-rf", path], { timeoutMs: 60_000 });
          const check = await ctx.run(["minikube", "ssh", "-p", profile(ctx), "--", "sudo", "test", "-e", path], { allowFailure: true, timeoutMs: 60_000 });
          if (check.exitCode === 0) left.push(path);
        }
        if (left.length)
          throw new LabError(`these volume directories are still on the node after rm -rf: ${left.join(", ")}`, {
            hint: `minikube ssh -p ${profile(ctx)} -- sudo ls -la ${HOSTPATH_DIR}/${ctx.config.namespace}; or delete the profile: npm run lab:down -- --delete-cluster --purge --yes`,
          });
        outcome.purged = true;
        report.output(`volumes and namespace deleted${volumes.length ? `; ${volumes.length} volume director${volumes.length === 1 ? "y" : "ies"} removed from the node and checked gone` : ""}`);
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
        const r = await reach(ctx);
        if (!r.reachable && (r.state === "missing" || r.state === "not installed")) return report.skip(`${r.why}; nothing to delete`);
        // `minikube delete` removes the node container and its volume (minikube cmd/minikube/cmd/delete.go),
        // where the hostpath volumes live: the data goes with it.
        await ctx.change(["minikube", "delete", "-p", profile(ctx)], { timeoutMs: 300_000 });
        outcome.purged = true;
        outcome.kept = undefined;
      },
    },
  ];
}
