/**
 * Memory figures of a container from its cgroup files, as kubelet and cAdvisor see them:
 * working set = usage - inactive_file, floored at 0 (google/cadvisor container/libcontainer/handler.go
 * setMemoryStats; kubernetes/kubernetes#43916). cgroup v2
 * keys are `anon`, `file`, `inactive_file` with usage in memory.current
 * (https://docs.kernel.org/admin-guide/cgroup-v2.html, "memory.stat"); cgroup v1 has `total_rss`,
 * `total_cache`, `total_inactive_file` with usage in memory.usage_in_bytes
 * (https://docs.kernel.org/admin-guide/cgroup-v1/memory.html, section 5.2). The files are read in
 * the probe container by lab/tools/inPod.ts cgroupMemoryInProbe.
 */
export interface MemoryFigures {
  readonly cgroup: "v1" | "v2";
  readonly usage: number;
  readonly workingSet: number;
  /** File-backed memory: the page cache a large push fills. */
  readonly pageCache: number;
  readonly anon: number;
  readonly inactiveFile: number;
}

export function parseMemoryStat(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

export function memoryFigures(statText: string, usageText: string): MemoryFigures {
  const stat = parseMemoryStat(statText);
  const usage = Number(usageText.trim());
  if (!Number.isFinite(usage)) throw new Error(`memory usage "${usageText.trim()}" is not a number`);
  const v2 = stat.has("anon") && stat.has("file");
  const pick = (...keys: string[]) => keys.map((k) => stat.get(k)).find((v) => v !== undefined) ?? 0;
  const inactiveFile = v2 ? pick("inactive_file") : pick("total_inactive_file", "inactive_file");
  return {
    cgroup: v2 ? "v2" : "v1",
    usage,
    workingSet: Math.max(0, usage - inactiveFile),
    pageCache: v2 ? pick("file") : pick("total_cache", "cache"),
    anon: v2 ? pick("anon") : pick("total_rss", "rss"),
    inactiveFile,
  };
}
