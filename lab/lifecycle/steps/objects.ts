import type { LabContext } from "../../context.js";
import { FIELD_MANAGER, PRUNABLE_RESOURCES, getList, type LiveObject } from "../../tools/kubectl.js";
import { NAMES, PRUNE_SELECTOR } from "../../topology/names.js";
import { toYamlDocuments } from "../../topology/yaml.js";
import { ensureProbeToken, probeTokenDigest, probeTokenSecret } from "../../transfer/probeToken.js";
import type { KubeObject } from "../../topology/topology.js";
import { renderManifests } from "../../topology/render.js";
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

/**
 * Server-side apply under the lab's field manager. --force-conflicts takes back fields another
 * manager changed (a `kubectl scale`, say) to the rendered values
 * (https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts).
 */
export function applyArgv(ctx: LabContext): string[] {
  return ctx.kubectl("apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-f", "-");
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
  const live = await getList(ctx, [PRUNABLE_RESOURCES.join(","), "-n", ctx.config.namespace, "-l", PRUNE_SELECTOR]);
  const stale = live.map(objectRef).filter((ref) => !wanted.has(ref));
  for (const ref of stale) {
    report?.output(`${ctx.dryRun ? "would prune" : "pruning"} ${ref} (no longer rendered)`);
    await ctx.change(ctx.kubectl("delete", ref, "-n", ctx.config.namespace, "--ignore-not-found", "--wait=false"), { timeoutMs: 60_000 });
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
  async run(ctx, report) {
    const { yaml, objects } = await applyInput(ctx);
    const result = await ctx.change(applyArgv(ctx), {
      input: yaml,
      timeoutMs: 120_000,
      hint: "see the kubectl output above; npm run lab:render -- --out /tmp/lab shows what was applied",
    });
    const pruned = await pruneStale(ctx, objects, report);
    const prunedNote = pruned.length ? `; ${ctx.dryRun ? "would prune" : "pruned"} ${pruned.join(", ")}` : "";
    report.output((ctx.dryRun ? `would apply ${objects.length} objects` : `applied ${appliedCount(result.stdout)} of ${objects.length} objects`) + prunedNote);
  },
};
