import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryFigures, parseMemoryStat } from "../lab/repro/memory.js";
import { restartsOf } from "../lab/observe.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("cgroup memory figures", () => {
  it("reads a real cgroup v1 memory.stat: working set = usage - total_inactive_file", () => {
    const stat = parseMemoryStat(fixture("cgroup-v1-memory.stat"));
    const usage = Number(fixture("cgroup-v1-memory.usage_in_bytes"));
    const figures = memoryFigures(fixture("cgroup-v1-memory.stat"), fixture("cgroup-v1-memory.usage_in_bytes"));
    expect(figures.cgroup).toBe("v1");
    expect(figures.inactiveFile).toBe(stat.get("total_inactive_file"));
    expect(figures.pageCache).toBe(stat.get("total_cache"));
    expect(figures.anon).toBe(stat.get("total_rss"));
    expect(figures.workingSet).toBe(Math.max(0, usage - stat.get("total_inactive_file")!));
  });

  it("reads cgroup v2: page cache from `file`, working set excludes only inactive file pages", () => {
    const figures = memoryFigures(fixture("cgroup-v2-memory.stat"), fixture("cgroup-v2-memory.current"));
    expect(figures).toEqual({
      cgroup: "v2",
      usage: 1939865600,
      pageCache: 1879048192,
      anon: 52428800,
      inactiveFile: 536870912,
      // Active page cache still counts: this is why a push inflates the working set (kubernetes#43916).
      workingSet: 1939865600 - 536870912,
    });
  });

  it("floors the working set at 0 and refuses a usage that is not a number", () => {
    expect(memoryFigures("anon 1\nfile 10\ninactive_file 500\n", "100").workingSet).toBe(0);
    expect(() => memoryFigures("anon 1\nfile 1\n", "max")).toThrow(/not a number/);
  });
});

describe("restart figures", () => {
  it("counts restarts and names OOMKilled terminations in the API's pod status shape", () => {
    // containerStatuses as the API returns them after an OOM kill
    // (https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/).
    const pod = {
      metadata: { name: "anka-build-cloud-5f7d-x" },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "controller", restartCount: 0, ready: true, state: { running: {} } },
          { name: "registry", restartCount: 3, ready: true, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
        ],
      },
    };
    expect(restartsOf([pod])).toEqual([{ pod: "anka-build-cloud-5f7d-x", restarts: 3, lastTerminations: ["registry: OOMKilled (exit 137)"] }]);
  });
});
