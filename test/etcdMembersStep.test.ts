import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LabContext } from "../lab/context.js";
import { StateStore } from "../lab/state.js";
import { etcdMembersStep } from "../lab/steps/etcdMembers.js";
import { renderManifests } from "../lab/render.js";
import { craftedConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";

const url = (i: number, port: number) => `http://etcd-${i}.etcd-headless.anka.svc.cluster.local:${port}`;

/** A running 3-member etcd as kubectl and etcdctl print it; `down` members fail their health check. */
function lab(replicas: number, options: { dryRun?: boolean; down?: number[]; statefulSet?: boolean; oldTemplate?: boolean } = {}) {
  const runner = new FakeRunner();
  // The live StatefulSet as this version renders it, or as the previous one did (hard-coded bootstrap args).
  const live = renderManifests(craftedConfig(() => {})).objects.find((o) => o.kind === "StatefulSet") as any;
  if (options.oldTemplate) live.spec.template.spec.containers[0].args = ["--initial-cluster=etcd-0=http://etcd-0.etcd-headless.anka.svc.cluster.local:2380", "--initial-cluster-state=new"];
  runner.handle((argv) => {
    const rest = argv.slice(3);
    if (rest[0] === "get" && rest[1] === "statefulset")
      return options.statefulSet === false ? { exitCode: 1, stderr: 'Error from server (NotFound): statefulsets.apps "etcd" not found' } : { stdout: JSON.stringify(live) };
    if (rest[0] === "exec" && rest.includes("list"))
      return { stdout: [0, 1, 2].map((i) => `${(0xa0 + i).toString(16)}0000000000000${i}, started, etcd-${i}, ${url(i, 2380)}, ${url(i, 2379)}, false`).join("\n") + "\n" };
    if (rest[0] === "exec" && rest.includes("health"))
      return { exitCode: options.down?.length ? 1 : 0, stdout: JSON.stringify([0, 1, 2].map((i) => ({ endpoint: url(i, 2379), health: !options.down?.includes(i), took: "1ms" }))) };
    if (rest[0] === "logs") return { stdout: "" };
    return undefined;
  });
  const dir = mkdtempSync(join(tmpdir(), "anka-lab-members-step-"));
  const ctx = new LabContext(craftedConfig((c) => (c.etcd.replicas = replicas)), runner, new StateStore(dir), {
    dryRun: options.dryRun ?? false,
    waits: { timeoutMs: 100, intervalMs: 10 },
    signal: new AbortController().signal,
    hostsFile: join(dir, "hosts"),
    interactive: false,
    confirm: async () => false,
    needsSudo: false,
  });
  const lines: string[] = [];
  return { runner, ctx, lines, report: { output: (l: string) => lines.push(l), skip: (l: string) => lines.push(`skip: ${l}`) } };
}

describe("etcd membership step of lab:up", () => {
  it("leaves a fresh lab to apply", async () => {
    const { ctx, lines, report } = lab(3, { statefulSet: false });
    await etcdMembersStep.run(ctx, report);
    expect(lines).toEqual(["skip: no etcd yet: apply starts 3 members"]);
  });

  it("does nothing when the members match", async () => {
    const { ctx, lines, report, runner } = lab(3);
    await etcdMembersStep.run(ctx, report);
    expect(lines).toEqual(["skip: 3 members, as configured"]);
    expect(runner.calls.filter((c) => /add|remove|scale|patch/.test(c.argv.join(" ")))).toEqual([]);
  });

  it("plans 3 -> 5 under --dry-run as member add, bootstrap values, scale, wait, one member at a time", async () => {
    const { ctx, report } = lab(5, { dryRun: true });
    await etcdMembersStep.run(ctx, report);
    const plan = ctx.plan.map((p) => p.replace(/^kubectl --context anka-lab /, ""));
    expect(plan).toEqual([
      "delete pvc data-etcd-3 -n anka --ignore-not-found",
      expect.stringMatching(/^exec -n anka etcd-\d -c etcd -- etcdctl --endpoints=http:\/\/127\.0\.0\.1:2379 member add etcd-3 --peer-urls=http:\/\/etcd-3\.etcd-headless\.anka\.svc\.cluster\.local:2380$/),
      expect.stringMatching(/^patch configmap etcd-bootstrap -n anka --type merge -p .*etcd-3=http.*"initial-cluster-state":"existing"/),
      "scale statefulset etcd -n anka --replicas=4",
      "wait for all 4 etcd members started and healthy",
      "delete pvc data-etcd-4 -n anka --ignore-not-found",
      expect.stringMatching(/member add etcd-4 /),
      expect.stringMatching(/^patch configmap etcd-bootstrap .*etcd-4=http/),
      "scale statefulset etcd -n anka --replicas=5",
      "wait for all 5 etcd members started and healthy",
    ]);
  });

  it("refuses a change that would lose quorum, in one line with the fix", async () => {
    const { ctx, report, runner } = lab(5, { down: [2] });
    const error = await etcdMembersStep.run(ctx, report).catch((e: Error & { hint?: string }) => e);
    expect((error as Error).message).toBe(
      "refusing to change etcd from 3 to 5 members: adding etcd-3 would make 4 members needing 3 for quorum while only 2 are healthy; bring the others back first (kubectl get pods -l app.kubernetes.io/name=etcd)",
    );
    expect((error as { hint?: string }).hint).toMatch(/^keep etcd\.replicas at 3 until the members are healthy: kubectl --context anka-lab -n anka get pods/);
    expect(runner.calls.filter((c) => /member add|scale|patch/.test(c.argv.join(" ")))).toEqual([]);
  });

  it("refuses to change members through a StatefulSet an older lab applied, whose pods ignore the bootstrap ConfigMap", async () => {
    const { ctx, report } = lab(5, { oldTemplate: true });
    const error = (await etcdMembersStep.run(ctx, report).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^refusing to change etcd from 3 to 5 members: the running StatefulSet predates the etcd-bootstrap ConfigMap.*--set etcd\.replicas=3 once/);
    // With nothing to change it is no obstacle.
    const same = lab(3, { oldTemplate: true });
    await etcdMembersStep.run(same.ctx, same.report);
    expect(same.lines).toEqual(["skip: 3 members, as configured"]);
  });
});
