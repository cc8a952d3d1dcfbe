import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabConfig } from "../lab/config/schema.js";
import { etcdGet, etcdHealthy, etcdMembers, etcdPut } from "./support/etcdClient.js";
import { LOST_DATA_LOG, MembershipRefused, reconcileMembership } from "../lab/etcd/membership.js";
import { etcdctl } from "../lab/tools/inPod.js";
import { etcdQuotaBytes } from "../lab/topology/etcd.js";
import { ETCD_PORTS, etcdMemberHost } from "../lab/topology/names.js";
import type { KubeObject } from "../lab/topology/topology.js";
import { renderManifests } from "../lab/topology/render.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { canUseNetns, hasBinary, skipReason } from "./support/binaries.js";
import { craftedConfig } from "./support/config.js";
import { EtcdPods } from "./support/etcdPods.js";
import { TestNetwork, sweepStaleNetworks } from "./support/netns.js";
import { testContext } from "./support/context.js";

/**
 * The lab's membership code (lab/etcd/membership.ts) against real etcd members: up to five pods of
 * the rendered StatefulSet, each in its own network namespace, behind the kubectl calls the code
 * makes (test/support/etcdPods.ts). Debian's etcd and etcdctl (3.4) stand in for the image's; every
 * flag and etcdctl command used exists in 3.4 (https://etcd.io/docs/v3.4/op-guide/runtime-configuration/).
 */
const runnable = canUseNetns() && hasBinary("etcd") && hasBinary("etcdctl");
if (!runnable) skipReason("etcd membership", "root with ip netns, etcd and etcdctl", "on Debian: apt-get install etcd-server etcd-client iproute2, run as root");

/** A short retention so the compaction test sees it happen; every other value is the default. */
const withReplicas = (replicas: number): LabConfig =>
  craftedConfig((c) => {
    c.etcd.replicas = replicas;
    c.etcd.autoCompactionRetention = "2s";
  });
const rendered = (replicas: number) => renderManifests(withReplicas(replicas)).objects as unknown as KubeObject[];

describe.runIf(runnable)("etcd membership changes, for real", () => {
  const config = withReplicas(3);
  const network = new TestNetwork(5);
  const work = mkdtempSync(join(tmpdir(), "anka-lab-members-"));
  const pods = new EtcdPods(config, network, work, rendered(3));
  // Waits end under vitest's 60 s test timeout, so a wait that runs out reports what it last saw.
  const ctx = testContext(config, pods, { waits: { timeoutMs: 40_000, intervalMs: 500 }, dir: work });
  const endpoint = (i: number) => `http://${network.hosts[i]!.ip}:${ETCD_PORTS.client}`;
  const keys = Array.from({ length: 20 }, (_, i) => `/anka-lab/members/key-${i}`);
  const progress: string[] = [];

  const logs = (ordinals: number[]) => ordinals.map((i) => `--- etcd-${i} ---\n${pods.logTail(i)}`).join("\n");

  async function waitHealthy(ordinals: number[]): Promise<void> {
    await waitFor(
      `etcd ${ordinals.join(",")} healthy`,
      async () => {
        const states = await Promise.all(ordinals.map((i) => etcdHealthy(endpoint(i), 1000)));
        const sick = ordinals.filter((_, k) => !states[k]);
        return sick.length === 0 ? ready(true) : notYet(`not healthy: ${sick.join(",")}`);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs(ordinals)}`);
    });
  }

  /**
   * Writes through etcd-0..2 (members throughout) every 200 ms while `work` runs. A write may be
   * retried (a removed leader hands over in about an election timeout), but each must land within
   * 5 s; a write that cannot means the cluster lost quorum.
   */
  async function writesThroughout<T>(work: Promise<T>): Promise<{ result: T; writes: number; missed: string[] }> {
    let stop = false;
    let writes = 0;
    const missed: string[] = [];
    const loop = (async () => {
      while (!stop) {
        const n = writes++;
        await waitFor(`write ${n}`, async () => (await etcdPut(endpoint(n % 3), `/anka-lab/members/monitor`, String(n), 2000), ready(true)), {
          timeoutMs: 5000,
          intervalMs: 100,
        }).catch((e) => missed.push((e as Error).message));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      return { result: await work, writes, missed };
    } finally {
      stop = true;
      await loop;
    }
  }

  async function everyKeyThrough(i: number): Promise<void> {
    for (const key of keys) expect(await etcdGet(endpoint(i), key), `${key} through etcd-${i}`).toBe(`value of ${key}`);
  }

  const memberNames = async () => (await etcdMembers(endpoint(0))).map((m) => m.name).sort();

  beforeAll(async () => {
    sweepStaleNetworks();
    network.create();
    network.setHosts(network.hosts.map((h, i) => ({ ip: h.ip, names: [etcdMemberHost(config, i), `etcd-${i}`] })));
    pods.scaleTo(3);
    await waitHealthy([0, 1, 2]);
    for (const key of keys) await etcdPut(endpoint(0), key, `value of ${key}`);
  });

  afterAll(async () => {
    await pods.close();
    network.remove();
    if (!process.env.KEEP_ETCD_LOGS) rmSync(work, { recursive: true, force: true });
  });

  it("compacts old revisions with the rendered flags and enforces the rendered quota", async () => {
    const argv = pods.argvOf(0);
    expect(argv).toEqual(expect.arrayContaining(["--auto-compaction-mode=periodic", "--auto-compaction-retention=2s", `--quota-backend-bytes=${etcdQuotaBytes("1Gi")}`]));
    const status = async () => JSON.parse((await etcdctl(ctx, 0, ["endpoint", "status", "-w", "json"])).stdout)[0].Status;
    for (let i = 0; i < 10; i++) await etcdPut(endpoint(0), "/anka-lab/members/churn", String(i));
    const before = Number((await status()).header.revision);
    // The periodic compactor keeps `retention` of history: after it, a read at an older revision is refused.
    const refused = await waitFor(
      `revision ${before - 1} compacted`,
      async () => {
        const old = await etcdctl(ctx, 0, ["get", "/anka-lab/members/churn", `--rev=${before - 1}`], { allowFailure: true });
        return /required revision has been compacted/.test(old.stderr) ? ready(old.stderr) : notYet(`get --rev=${before - 1}: exit ${old.exitCode}`);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(refused).toMatch(/compacted/);
    const metrics = await (await fetch(`http://${network.hosts[0]!.ip}:${ETCD_PORTS.metrics}/metrics`)).text();
    const figure = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]);
    expect(figure("etcd_debugging_mvcc_compact_revision")).toBeGreaterThanOrEqual(before - 1);
    expect(Number((await status()).header.revision)).toBeGreaterThanOrEqual(before);
    expect(figure("etcd_server_quota_backend_bytes")).toBe(etcdQuotaBytes("1Gi"));
  });

  it("grows 3 -> 5 one member at a time, each new pod joining with `existing`, writes landing throughout", async () => {
    pods.setTemplate(rendered(5));
    const { result: steps, writes, missed } = await writesThroughout(reconcileMembership(ctx, 5, [0, 1, 2], (l) => progress.push(l)));
    expect(steps?.map((s) => `${s.kind} ${s.ordinal}`)).toEqual(["add 3", "add 4"]);
    expect(missed, `writes that did not land in 5 s (of ${writes})`).toEqual([]);
    expect(await memberNames()).toEqual(["etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"]);
    await waitHealthy([0, 1, 2, 3, 4]);
    // etcd-3 joined a 4-member cluster, etcd-4 a 5-member one: each got exactly the membership it joined.
    expect(pods.argvOf(3)).toContain("--initial-cluster-state=existing");
    expect(pods.argvOf(3).find((a) => a.startsWith("--initial-cluster="))!.split(",")).toHaveLength(4);
    expect(pods.argvOf(4).find((a) => a.startsWith("--initial-cluster="))!.split(",")).toHaveLength(5);
    await everyKeyThrough(4);
    // The order the lab used: member add, then the bootstrap values, then the pod, per member. etcd
    // refuses an add until every member has been connected for 5 s, so the add of etcd-4 right
    // after etcd-3 joined is retried: repeats of one call are collapsed here.
    const changes = pods.calls
      .map((c) => c.slice(3))
      .flatMap((c) => (c[0] === "exec" && c.includes("add") ? [`member add ${c[c.indexOf("add") + 1]}`] : c[0] === "scale" || c[0] === "patch" ? [`${c[0]} ${c[2]}`] : []))
      .filter((c, i, all) => c !== all[i - 1]);
    expect(changes).toEqual(["member add etcd-3", "patch etcd-bootstrap", "scale etcd", "member add etcd-4", "patch etcd-bootstrap", "scale etcd"]);
    pods.applyRender(rendered(5));
  });

  it("shrinks 5 -> 3 by removing members before their pods, dropping their volumes, writes landing throughout", async () => {
    const { result: steps, missed } = await writesThroughout(reconcileMembership(ctx, 3, [0, 1, 2, 3, 4], (l) => progress.push(l)));
    expect(steps?.map((s) => `${s.kind} ${s.ordinal}`)).toEqual(["remove 4", "remove 3"]);
    expect(missed).toEqual([]);
    pods.applyRender(rendered(3));
    expect(await memberNames()).toEqual(["etcd-0", "etcd-1", "etcd-2"]);
    expect(pods.replicas).toBe(3);
    expect([3, 4].map((i) => existsSync(pods.volume(i)))).toEqual([false, false]);
    await everyKeyThrough(2);
    // Nothing left to do: a rerun of lab:up is a no-op.
    expect(await reconcileMembership(ctx, 3, [0, 1, 2], () => {})).toEqual([]);
  });

  it("brings back a member whose volume was lost, with the data", async () => {
    await pods.loseVolume(1);
    // etcd's own words for an empty data dir the cluster still knows; the lab repairs on nothing less.
    await waitFor(
      "etcd-1 to report it was already bootstrapped",
      async () => (LOST_DATA_LOG.test(pods.logTail(1, 50)) ? ready(true) : notYet(pods.logTail(1, 3))),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const steps = await reconcileMembership(ctx, 3, [0, 1, 2], (l) => progress.push(l));
    expect(steps?.map((s) => `${s.kind} ${s.ordinal}`)).toEqual(["repair 1"]);
    pods.applyRender(rendered(3));
    await waitHealthy([0, 1, 2]);
    expect(await memberNames()).toEqual(["etcd-0", "etcd-1", "etcd-2"]);
    await everyKeyThrough(1);
    expect(existsSync(join(pods.volume(1), "data", "default.etcd", "member", "wal"))).toBe(true);
  });

  it("refuses to grow while a member is down, since the new member would count before it runs", async () => {
    pods.freeze(2, true);
    try {
      const attempt = reconcileMembership(ctx, 5, [0, 1, 2], () => {}).catch((e: Error) => e);
      expect(await attempt).toBeInstanceOf(MembershipRefused);
      expect(((await attempt) as Error).message).toMatch(/refusing to change etcd from 3 to 5 members: adding etcd-3 would make 4 members needing 3 for quorum while only 2 are healthy/);
      expect(await memberNames()).toEqual(["etcd-0", "etcd-1", "etcd-2"]);
    } finally {
      pods.freeze(2, false);
    }
    await waitHealthy([0, 1, 2]);
  });
});
