import { afterEach, describe, expect, it, vi } from "vitest";
import { failures, formatRow, formatRows, runChecks, type Check, type Row, type RowKind } from "../lab/checks/rows.js";
import { LabError } from "../lab/errors.js";

/** Results that are rows already; a thrown check becomes a failed row named by its title. */
const ROWS: RowKind<Row> = { row: (r) => r, thrown: (title, { detail, fix }) => ({ mark: "fail", name: title, detail, ...(fix ? { fix } : {}) }) };

const passing = (name: string): Check<Row> => ({ title: name, run: async () => ({ mark: "pass", name, detail: "fine" }) });
const throwing = (title: string, error: unknown): Check<Row> => ({
  title,
  run: async () => {
    throw error;
  },
});

/** What listr2's plain renderer wrote on stderr while `run` ran. */
async function stderrOf<T>(run: () => Promise<T>): Promise<{ value: T; written: string }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
  try {
    return { value: await run(), written: written.join("") };
  } finally {
    spy.mockRestore();
  }
}

describe.each([
  ["quietly", undefined],
  ["through listr2", "silent" as const],
])("the rows runner, %s", (_, renderer) => {
  it("turns a check that throws into a ✗ row with its message, counted as failed, and runs the rest", async () => {
    const results = await runChecks([passing("first"), throwing("second", new Error("kubectl exec broke: connection refused")), passing("third")], ROWS, { renderer });
    expect(results).toEqual([
      { mark: "pass", name: "first", detail: "fine" },
      { mark: "fail", name: "second", detail: "kubectl exec broke: connection refused" },
      { mark: "pass", name: "third", detail: "fine" },
    ]);
    expect(failures(results, ROWS).map((r) => r.name)).toEqual(["second"]);
  });

  it("carries a LabError's hint as the row's fix, and a thrown non-Error as text", async () => {
    const results = await runChecks([throwing("disk", new LabError("statfs failed", { hint: "free some disk" })), throwing("odd", "a string")], ROWS, { renderer });
    expect(results).toEqual([
      { mark: "fail", name: "disk", detail: "statfs failed", fix: "free some disk" },
      { mark: "fail", name: "odd", detail: "a string" },
    ]);
  });

  it("says a check that threw after the interrupt was stopped", async () => {
    const controller = new AbortController();
    const stopped: Check<Row> = {
      title: "push",
      run: async () => {
        controller.abort();
        throw new Error("The operation was aborted");
      },
    };
    expect(await runChecks([stopped], ROWS, { renderer, signal: controller.signal })).toEqual([{ mark: "fail", name: "push", detail: "stopped by the interrupt" }]);
  });

  it("keeps every row of a check that returns several, in order", async () => {
    const two: Check<Row> = { title: "status", run: async () => [{ mark: "pass", name: "controller", detail: "200 OK" }, { mark: "fail", name: "registry", detail: "refused" }] };
    expect((await runChecks([two, passing("etcd")], ROWS, { renderer })).map((r) => `${r.mark} ${r.name}`)).toEqual(["pass controller", "fail registry", "pass etcd"]);
  });
});

describe("the rows runner through listr2's plain renderer", () => {
  it("shows a failed row as a failed task, a skip as skipped, and a check's progress under its task", async () => {
    const checks: Check<Row>[] = [
      {
        title: "push",
        run: async (progress) => {
          progress("12 MB of 24 MB");
          return { mark: "pass", name: "push", detail: "done" };
        },
      },
      throwing("etcd", new Error("kubectl exec broke\n  exit code 1")),
      { title: "anka", run: async () => ({ mark: "skip", name: "anka push", detail: "no --anka-template" }) },
    ];
    const { value, written } = await stderrOf(() => runChecks(checks, ROWS, { renderer: "simple" }));
    expect(value.map((r) => r.mark)).toEqual(["pass", "fail", "skip"]);
    expect(written).toContain("› 12 MB of 24 MB\n✔ push\n");
    expect(written).toContain("✖ etcd [FAILED: etcd: kubectl exec broke]");
    expect(written).toContain("↓ anka [SKIPPED: anka push: no --anka-template]");
  });
});

describe("the one row format", () => {
  it("marks pass, warn, fail, skip and a plain fact", () => {
    expect(
      formatRows([
        { mark: "pass", name: "minikube", detail: "minikube v1.38.1" },
        { mark: "warn", name: "platform", detail: "emulated", fix: "turn on Rosetta" },
        { mark: "fail", name: "memory", detail: "too little", fix: "lower minikube.memory" },
        { mark: "skip", name: "anka registry push (Anka CLI)", detail: "pass --anka-template NAME" },
        { mark: "none", name: "controller", detail: "http://127.0.0.1:8090" },
      ]),
    ).toBe(
      [
        "✓ minikube: minikube v1.38.1",
        "! platform: emulated",
        "    fix: turn on Rosetta",
        "✗ memory: too little",
        "    fix: lower minikube.memory",
        "- anka registry push (Anka CLI): pass --anka-template NAME",
        "  controller: http://127.0.0.1:8090",
      ].join("\n"),
    );
  });

  it("puts a multi-line detail's further lines, the fix of a row that did not pass, then its facts under it", () => {
    expect(formatRow({ mark: "fail", name: "etcd", detail: "failed: kubectl exec\n  exit code 1", fix: "npm run lab:status", lines: ["etcd-0  Pending"] })).toBe(
      "✗ etcd: failed: kubectl exec\n      exit code 1\n    fix: npm run lab:status\n    etcd-0  Pending",
    );
    expect(formatRow({ mark: "pass", name: "sudo", detail: "no prompt", fix: "never shown for a pass" })).toBe("✓ sudo: no prompt");
  });
});

describe("the marks' colour (lab/cli/color.ts; in a real terminal: test/terminal.pty.test.ts)", () => {
  afterEach(() => vi.unstubAllEnvs());
  it("colours the mark when stdout takes colour, and only the mark", () => {
    vi.stubEnv("FORCE_COLOR", "1");
    expect(formatRow({ mark: "pass", name: "docker", detail: "Docker 28.3.2" })).toBe("\u001b[32m✓\u001b[39m docker: Docker 28.3.2");
    expect(formatRow({ mark: "fail", name: "memory", detail: "too little" })).toBe("\u001b[31m✗\u001b[39m memory: too little");
    expect(formatRow({ mark: "skip", name: "anka", detail: "not asked" })).toBe("- anka: not asked");
    vi.stubEnv("FORCE_COLOR", "0");
    expect(formatRow({ mark: "pass", name: "docker", detail: "Docker 28.3.2" })).toBe("✓ docker: Docker 28.3.2");
  });
});
