import { formatBytes, sizeToBytes } from "../../config/size.js";
import { NAMES } from "../../topology/names.js";
import { formatRate } from "../../transfer/progress.js";
import { sampleTemplate } from "../../transfer/sample.js";
import { memoryFigures, type MemoryFigures } from "../memory.js";
import { cgroupMemoryInProbe } from "../../tools/inPod.js";
import { buildCloudPodObjects, probeLoadBalancerUrl, restartsOf } from "../../observe.js";
import { sampleWhile } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { applyRenderedChange, reapplyLab, waitBuildCloudReady } from "../kit.js";

/**
 * The limit goes on the registry and on the probe: the probe is what writes a pushed template to
 * the shared volume here, so its cgroup is charged the page cache, as the registry's is for a real push.
 */
const LIMITED = ["registry", "probe"];
const SAMPLE_MS = 1000;

/**
 * Sets (or, with null, removes) the memory limit by applying the rendered Deployment with the limit
 * under the lab's own field manager: the next apply of the plain render (lab:up, or this scenario's
 * fix) then removes it, because server-side apply deletes a field its manager stops applying when no
 * other manager owns it (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
 * A `kubectl patch` would make another manager own the limit, and no later apply would remove it.
 */
async function setLimit(t: ReproTools, limit: string | null): Promise<void> {
  await applyRenderedChange(t.ctx, "Deployment", NAMES.buildCloud, (deployment) => {
    if (limit === null) return;
    for (const container of deployment.spec.template.spec.containers) {
      if (!LIMITED.includes(container.name)) continue;
      // The API server refuses a limit below the request ("must be less than or equal to memory
      // limit": kubernetes pkg/apis/core/validation, ValidateResourceRequirements), so a lower limit
      // brings the request down with it.
      const request = container.resources?.requests?.memory;
      const requests = request && sizeToBytes(request) > sizeToBytes(limit) ? { ...container.resources.requests, memory: limit } : container.resources?.requests;
      container.resources = { ...container.resources, requests, limits: { ...container.resources?.limits, memory: limit } };
    }
  });
  await waitBuildCloudReady(t);
}

async function probeMemory(t: ReproTools, pod: string): Promise<MemoryFigures | undefined> {
  const files = await cgroupMemoryInProbe(t.ctx, pod);
  return files && memoryFigures(files.stat, files.usage);
}

async function pushAndWatch(t: ReproTools, seed: number, limit: string | undefined): Promise<Observation> {
  const before = restartsOf(await buildCloudPodObjects(t.ctx));
  const pods = before.map((p) => p.pod);
  let peak: MemoryFigures | undefined;
  let pushError: Error | undefined;
  let rate = 0;
  try {
    const push = t.push({ to: await probeLoadBalancerUrl(t.ctx), template: sampleTemplate(t.options.size, seed), attempts: 1 });
    const sampleAll = async () => {
      for (const pod of pods) {
        const m = await probeMemory(t, pod);
        if (m && (!peak || m.workingSet > peak.workingSet)) peak = m;
      }
    };
    rate = (await sampleWhile(push, sampleAll, SAMPLE_MS)).bytesPerSecond;
  } catch (error) {
    pushError = error as Error;
  }
  const after = restartsOf(await buildCloudPodObjects(t.ctx));
  const restarted = after.filter((a) => a.restarts > (before.find((b) => b.pod === a.pod)?.restarts ?? 0));
  // Only terminations behind a restart seen during this push; older ones are history.
  const oomKilled = restarted.flatMap((a) => a.lastTerminations.filter((r) => r.includes("OOMKilled")).map((r) => `${a.pod} ${r}`));
  const evidence = [
    `restarts during the push: ${restarted.length ? restarted.map((r) => `${r.pod} (${r.restarts})`).join(", ") : "none"}`,
    `last terminations: ${oomKilled.length ? oomKilled.join("; ") : "no OOMKilled"}`,
    peak
      ? `peak working set ${formatBytes(peak.workingSet)}${limit ? ` of a ${limit} limit` : ""}; page cache ${formatBytes(peak.pageCache)}, anon ${formatBytes(peak.anon)} (cgroup ${peak.cgroup}; working set = usage - inactive_file)`
      : "no cgroup memory figures could be read",
    pushError ? `the push failed: ${pushError.message}` : `the push completed at ${formatRate(rate)}`,
  ];
  const symptom = restarted.length > 0 || oomKilled.length > 0 || pushError !== undefined;
  const nearLimit = peak && limit ? peak.workingSet >= 0.9 * sizeToBytes(limit) : false;
  return {
    symptom,
    summary: symptom
      ? `the limited containers restarted or the push failed`
      : nearLimit
        ? `the kernel reclaimed page cache and kept the working set under the limit, with no restart (kubernetes#43916 describes node-level eviction on a loaded node, not this)`
        : `memory stayed well under ${limit ?? "any limit"} and nothing restarted`,
    evidence,
  };
}

export const scenario: Scenario = {
  name: "registry-memory-limit",
  summary: "a memory limit on the registry plus a large push: restarts, OOMKilled and page-cache figures; without the limit the same push is clean",
  facts: [
    "kubelet counts active page cache in the working set (usage - inactive_file), so file I/O inflates it (kubernetes/kubernetes#43916; google/cadvisor setMemoryStats)",
    "page cache is charged to the cgroup that caused it (docs.kernel.org cgroup-v2, Memory Ownership)",
    "Veertu: put no memory limit on the registry; it restarts or is rescheduled mid-transfer (https://docs.veertu.com/anka/anka-build-cloud/high-availability/with-kubernetes/, FAQ)",
  ],
  async setup(t) {
    await setLimit(t, t.options.memoryLimit);
  },
  act: (t) => pushAndWatch(t, 531, t.options.memoryLimit),
  async fix(t) {
    await setLimit(t, null);
  },
  verify: (t) => pushAndWatch(t, 532, undefined),
  restore: (t) => reapplyLab(t),
};
