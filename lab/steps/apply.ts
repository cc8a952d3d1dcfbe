import { FIELD_MANAGER, PRUNE_ALLOWLIST } from "../kube/kubectl.js";
import { LAB_SELECTOR } from "../manifests/names.js";
import { renderManifests } from "../render.js";
import type { Step } from "./step.js";

/** kubectl apply prints one "<kind>.<group>/<name> serverside-applied" line per object (kubectl apply.go). */
export function appliedCount(stdout: string): number {
  return stdout.split("\n").filter((l) => /\S+\/\S+ (serverside-applied|created|configured|unchanged)$/.test(l.trim())).length;
}

/**
 * Server-side apply of the whole render with the lab's field manager, pruning lab objects it no
 * longer renders. The allowlist keeps Namespaces and PersistentVolumeClaims out of pruning, so a
 * changed config never deletes lab data.
 */
export const applyStep: Step = {
  id: "apply",
  title: "render and apply the topology",
  async run(ctx, report) {
    const rendered = renderManifests(ctx.config);
    const yaml = [...rendered.files.entries()]
      .filter(([name]) => name !== "kustomization.yaml")
      .map(([, text]) => text)
      .join("---\n");
    const result = await ctx.change(
      ctx.kubectl(
        "apply",
        "--server-side",
        `--field-manager=${FIELD_MANAGER}`,
        "--force-conflicts",
        "--prune",
        "-l",
        LAB_SELECTOR,
        ...PRUNE_ALLOWLIST.map((k) => `--prune-allowlist=${k}`),
        "-f",
        "-",
      ),
      { input: yaml, timeoutMs: 120_000, hint: "see the kubectl output above; npm run lab:render -- --out /tmp/lab shows what was applied" },
    );
    report.output(ctx.dryRun ? `would apply ${rendered.objects.length} objects` : `applied ${appliedCount(result.stdout)} of ${rendered.objects.length} objects`);
  },
};
