import type { LabContext } from "../../context.js";
import { LabError } from "../../errors.js";
import {
  applyServerSide,
  deleteLabClaims,
  deleteLabObjects,
  deleteNamespace,
  deleteObject,
  deletePersistentVolume,
  getPersistentVolume,
  listLabClaims,
  listPrunable,
} from "../../tools/kubectl.js";
import { existsOnNode, removeOnNode, removeOnNodePlanned } from "../../tools/minikube.js";
import { NAMES } from "../../topology/names.js";
import type { KubeObject } from "../../topology/topology.js";
import type { DownRun } from "../downRun.js";
import type { Step, StepReport } from "../step.js";

/** kubectl apply prints one "<kind>.<group>/<name> serverside-applied" line per object (kubectl apply.go). */
export function appliedCount(stdout: string): number {
  return stdout.split("\n").filter((l) => /\S+\/\S+ (serverside-applied|created|configured|unchanged)$/.test(l.trim())).length;
}

/**
 * What lab:up applies: the render, plus the probe's token Secret right after the Namespace, and the
 * token's digest on the build-cloud pod template (so a new token restarts the pods). Neither is in
 * manifests/: the committed render holds no secret and stays the same for every lab.
 */
export async function applyInput(ctx: LabContext): Promise<{ yaml: string; objects: readonly KubeObject[] }> {
  // Loaded here, not with the module: rendering loads kubernetes-models and yaml (about a second on
  // a busy machine), which neither lab:down nor lab:up's first line should wait for.
  const [{ renderManifests }, { toYamlDocuments }, { ensureProbeToken, probeTokenDigest, probeTokenSecret }] = await Promise.all([
    import("../../topology/render.js"),
    import("../../topology/yaml.js"),
    import("../../transfer/probeToken.js"),
  ]);
  const { objects } = renderManifests(ctx.config);
  const token = ctx.config.probe.enabled ? await ensureProbeToken(ctx) : undefined;
  if (!token) return { yaml: toYamlDocuments(objects), objects };
  const withToken = objects.flatMap((o) => {
    if (o.kind === "Namespace") return [o, probeTokenSecret(ctx, token) as KubeObject];
    if (o.kind === "Deployment" && o.metadata.name === NAMES.buildCloud) {
      const copy = structuredClone(o) as any;
      copy.spec.template.metadata.annotations = { ...copy.spec.template.metadata.annotations, "anka-lab/probe-token-sha256": probeTokenDigest(token) };
      return [copy as KubeObject];
    }
    return [o];
  });
  return { yaml: toYamlDocuments(withToken), objects };
}

/** kind[.group]/name, as kubectl names an object on its command line and in its output. */
export function objectRef(o: { apiVersion?: string; kind?: string; metadata: { name: string } }): string {
  const group = o.apiVersion?.includes("/") ? o.apiVersion.split("/")[0] : undefined;
  return `${o.kind!.toLowerCase()}${group ? `.${group}` : ""}/${o.metadata.name}`;
}

/**
 * The lab's own prune. kubectl refuses --prune with --server-side unless an ApplySet is used
 * ("--prune is in alpha and doesn't currently work on objects created by server-side apply":
 * kubernetes/kubectl pkg/cmd/apply/apply.go, Validate). An ApplySet prunes every kind it ever held,
 * Namespace and PersistentVolumeClaims included, and needs KUBECTL_APPLYSET=true (alpha). Instead
 * this lists the lab's objects of the kinds that hold no data (by the lab's labels) and deletes the
 * ones the render no longer holds. Namespaces and PersistentVolumeClaims are never listed, so never
 * pruned. Returns what it pruned (or would, under --dry-run).
 */
export async function pruneStale(ctx: LabContext, rendered: readonly KubeObject[], report?: StepReport): Promise<string[]> {
  // A cluster that exists only in the --dry-run plan has nothing to list.
  if (ctx.plannedFreshCluster) return [];
  const wanted = new Set(rendered.filter((o) => o.metadata.namespace === ctx.config.namespace).map(objectRef));
  const live = await listPrunable(ctx);
  const stale = live.map(objectRef).filter((ref) => !wanted.has(ref));
  for (const ref of stale) {
    report?.output(`${ctx.dryRun ? "would prune" : "pruning"} ${ref} (no longer rendered)`);
    await deleteObject(ctx, ref);
  }
  return stale;
}

/**
 * Server-side apply of the whole render with the lab's field manager, then a prune of lab objects
 * it no longer renders. PersistentVolumeClaims and the Namespace are never pruned: they hold lab data.
 */
export const applyStep: Step = {
  id: "apply",
  title: "render and apply the topology",
  summary: "server-side apply of the rendered topology and the probe's token Secret, then a prune of the lab objects no longer rendered (never volumes or the namespace)",
  async run(ctx, report) {
    const { yaml, objects } = await applyInput(ctx);
    const result = await applyServerSide(ctx, yaml, {
      timeoutMs: 120_000,
      hint: "see the kubectl output above; npm run lab:render -- --out /tmp/lab shows what was applied",
    });
    const pruned = await pruneStale(ctx, objects, report);
    const prunedNote = pruned.length ? `; ${ctx.dryRun ? "would prune" : "pruned"} ${pruned.join(", ")}` : "";
    report.output((ctx.dryRun ? `would apply ${objects.length} objects` : `applied ${appliedCount(result.stdout)} of ${objects.length} objects`) + prunedNote);
  },
};

/** Where minikube's storage-provisioner keeps a claim's data on the node (minikube pkg/storage/storage_provisioner.go Provision: path.Join(pvDir, namespace, claim)). */
export const HOSTPATH_DIR = "/tmp/hostpath-provisioner";
const HOSTPATH_PROVISIONER = "k8s.io/minikube-hostpath";

/** The node directories behind the lab's claims, when minikube's hostpath provisioner made them. */
async function hostpathVolumes(ctx: LabContext): Promise<{ pv: string; path: string }[]> {
  const volumes: { pv: string; path: string }[] = [];
  for (const claim of await listLabClaims(ctx)) {
    const name = claim.spec?.volumeName as string | undefined;
    if (!name) continue;
    const pv = await getPersistentVolume(ctx, name);
    const path = pv?.spec?.hostPath?.path as string | undefined;
    const by = (pv?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.["pv.kubernetes.io/provisioned-by"];
    // Only the provisioner's own layout: <dir>/<namespace>/<claim>; anything else is not ours to rm -rf.
    if (by === HOSTPATH_PROVISIONER && path === `${HOSTPATH_DIR}/${ctx.config.namespace}/${claim.metadata.name}`) volumes.push({ pv: name, path });
  }
  return volumes;
}

/** lab:down's twin of apply: the lab's objects of the kinds that hold no data go; claims and namespace stay. */
export function removeObjectsStep(run: DownRun): Step {
  return {
    id: "objects",
    title: "remove the lab's objects (data kept)",
    summary: "the lab's Deployments, StatefulSets, Services, ConfigMaps, Ingresses and budgets; the claims and the namespace stay",
    async run(ctx, report) {
      const r = await run.reachable(ctx);
      if (!r.reachable) {
        if (r.state === "not installed") run.outcome.nothing = "minikube is not installed, so there is no lab cluster to take down";
        return report.skip(`${r.why}; nothing to remove`);
      }
      await deleteLabObjects(ctx);
      report.output(`removed; the registry and etcd volumes stay${run.options.purge ? "" : " (npm run lab:down -- --purge removes them)"}`);
    },
  };
}

/** lab:down --purge: the claims, the namespace and, on minikube, the volumes' directories on the node. */
export function purgeDataStep(run: DownRun): Step {
  return {
    id: "purge",
    title: "delete registry and etcd data (--purge)",
    summary: "the claims, the namespace, and each volume's directory on the node, checked gone",
    async run(ctx, report) {
      const { outcome, options } = run;
      const profile = ctx.config.profile;
      const r = await run.reachable(ctx);
      if (!r.reachable) {
        if (r.state === "not installed" || r.state === "missing") {
          outcome.purged = true;
          return report.skip(`${r.why}; no data to delete`);
        }
        if (options.deleteCluster && ctx.usesMinikube) return report.skip(`${r.why}; its data goes with the profile (--delete-cluster)`);
        outcome.kept =
          `${r.why}, so nothing was deleted: the registry's templates and etcd's data stay in its volumes` +
          (ctx.usesMinikube
            ? ` (on the node, under ${HOSTPATH_DIR}/${ctx.config.namespace}/). To delete them: minikube start -p ${profile} && npm run lab:down -- --purge --yes; ` +
              `or delete the whole profile: npm run lab:down -- --delete-cluster --purge --yes`
            : `. To delete them, make the context reachable and run npm run lab:down -- --purge --yes again`);
        return report.skip(`${r.why}; nothing deleted`);
      }
      // minikube's provisioner refuses to delete volumes an earlier run of it made (a new identity
      // per start: pkg/storage/storage_provisioner.go NewHostPathProvisioner `identity: uuid.NewUUID()`,
      // Delete returns IgnoredError on a mismatch), so after any minikube stop/start the directory
      // stays and the next claim of the same name gets it back. The lab deletes it itself.
      const volumes = ctx.usesMinikube && !ctx.dryRun ? await hostpathVolumes(ctx) : [];
      await deleteLabClaims(ctx);
      await deleteNamespace(ctx);
      if (ctx.usesMinikube && ctx.dryRun) ctx.plan.push(removeOnNodePlanned(ctx, `${HOSTPATH_DIR}/${ctx.config.namespace}/<claim>`));
      const left: string[] = [];
      for (const { pv, path } of volumes) {
        // A Released volume the provisioner will not delete: its object goes too.
        await deletePersistentVolume(ctx, pv);
        await removeOnNode(ctx, path);
        if (await existsOnNode(ctx, path)) left.push(path);
      }
      if (left.length)
        throw new LabError(`these volume directories are still on the node after rm -rf: ${left.join(", ")}`, {
          hint: `minikube ssh -p ${profile} -- sudo ls -la ${HOSTPATH_DIR}/${ctx.config.namespace}; or delete the profile: npm run lab:down -- --delete-cluster --purge --yes`,
        });
      outcome.purged = true;
      report.output(`volumes and namespace deleted${volumes.length ? `; ${volumes.length} volume director${volumes.length === 1 ? "y" : "ies"} removed from the node and checked gone` : ""}`);
    },
  };
}
