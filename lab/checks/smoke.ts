import { CONTROLLER_STATUS_PATH, REGISTRY_STATUS_PATH, ankaStatus } from "../tools/ankaApi.js";
import type { LabContext } from "../context.js";
import { ankaCliInstalled, ankaRegistryPush } from "../tools/ankaCli.js";
import { etcdClusterHealth, etcdctlDel, etcdctlGet, etcdctlPut, readInProbe, sha256InProbe, writeInProbe } from "../tools/inPod.js";
import { listPodsIn } from "../tools/kubectl.js";
import { formatBytes } from "../config/size.js";
import { NAMES, selectorString } from "../topology/names.js";
import { httpRequest } from "../transfer/http.js";
import type { PushResult } from "../transfer/client.js";
import { checkProbe, pushFileByFile } from "../transfer/fileByFile.js";
import { storedProbeToken } from "../transfer/probeToken.js";
import { formatRate } from "../transfer/progress.js";
import { loadBalancerAddress } from "../observe.js";
import { sampleTemplate, type SampleTemplate } from "../transfer/sample.js";
import { notYet, ready, waitFor } from "../wait.js";
import type { Check, Row, RowKind } from "./rows.js";

/**
 * The probe's constants, loaded when a check needs them: manifests/probe.ts builds the ConfigMap
 * with kubernetes-models, which lab:smoke's first line should not wait for.
 */
const probe = async () => (await import("../topology/probe.js")).PROBE;

/** One smoke check's outcome, a row of the final table. */
export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean | "skipped";
  readonly detail: string;
  readonly bytesPerSecond?: number;
  /** What to do, for a check that threw with a hint. */
  readonly fix?: string;
}

export interface SmokeOptions {
  readonly size: number;
  readonly seed: number;
  readonly ankaTemplate?: string;
  readonly ankaTag: string;
  readonly keep: boolean;
  readonly onProgress?: (line: string) => void;
}


export async function buildCloudPods(ctx: LabContext): Promise<string[]> {
  return (await listPodsIn(ctx, ctx.config.namespace, selectorString(NAMES.buildCloud)))
    .filter((p) => p.status?.phase === "Running")
    .map((p) => p.metadata.name)
    .sort();
}


export async function statusChecks(ctx: LabContext): Promise<CheckOutcome[]> {
  const controllerIp = await loadBalancerAddress(ctx, NAMES.controllerService);
  const registryIp = await loadBalancerAddress(ctx, NAMES.registryService);
  if (!controllerIp || !registryIp)
    return [{ name: "controller and registry status", ok: false, detail: "no LoadBalancer address: is the tunnel running? (npm run lab:status)" }];
  const [c, r] = await Promise.all([
    ankaStatus(`http://${controllerIp}:${ctx.config.controller.port}${CONTROLLER_STATUS_PATH}`),
    ankaStatus(`http://${registryIp}:${ctx.config.registry.port}${REGISTRY_STATUS_PATH}`),
  ]);
  return [
    { name: "controller status (LoadBalancer)", ok: c.ok, detail: c.detail },
    { name: "registry status (LoadBalancer)", ok: r.ok, detail: r.detail },
  ];
}

/** etcd: every member healthy, and a key put through etcd-0 read back through etcd-1. */
export async function etcdCheck(ctx: LabContext, id: string): Promise<CheckOutcome> {
  const { healthy } = await etcdClusterHealth(ctx);
  if (healthy !== ctx.config.etcd.replicas) return { name: "etcd quorum and put/get", ok: false, detail: `${healthy}/${ctx.config.etcd.replicas} members healthy` };
  const key = `/anka-lab/smoke/${id}`;
  await etcdctlPut(ctx, 0, key, id);
  const value = await etcdctlGet(ctx, 1, key);
  await etcdctlDel(ctx, 0, key);
  return {
    name: "etcd quorum and put/get",
    ok: value === id,
    detail: value === id ? `${healthy}/${healthy} healthy; put via etcd-0, read via etcd-1` : `put ${id} via etcd-0, read "${value}" via etcd-1`,
  };
}

/** Both registries see one volume: written in one pod, read in the other. */
export async function sharedVolumeCheck(ctx: LabContext, id: string, pods: string[]): Promise<CheckOutcome> {
  if (pods.length < 2) return { name: "registries share one volume", ok: false, detail: `${pods.length} build-cloud pod(s) running; need 2` };
  const path = `${(await probe()).dataDir}/smoke/${id}.txt`;
  await writeInProbe(ctx, pods[0]!, path, `written by ${pods[0]}`);
  const seen = await readInProbe(ctx, pods[1]!, path);
  return {
    name: "registries share one volume",
    ok: seen === `written by ${pods[0]}`,
    detail: seen === `written by ${pods[0]}` ? `written in ${pods[0]}, read in ${pods[1]}` : `${pods[1]} read "${seen.slice(0, 60)}"`,
  };
}

/** Each pushed file's sha256, recomputed inside the replica that did not store it. */
async function verifyOnOtherReplica(ctx: LabContext, template: SampleTemplate, result: PushResult, pods: string[]): Promise<string | undefined> {
  for (const file of result.files) {
    const other = pods.find((p) => p !== file.pod) ?? pods[0]!;
    const sha = await sha256InProbe(ctx, other, `${(await probe()).dataDir}/files/${template.name}/${file.path}`);
    if (sha !== file.sha256) return `${file.path}: ${other} reads ${sha === undefined ? "no such file" : `sha256 ${sha.slice(0, 16)}…`}, pushed ${file.sha256.slice(0, 16)}…`;
  }
  return undefined;
}

export async function pushCheck(
  ctx: LabContext,
  name: string,
  to: string,
  host: string | undefined,
  template: SampleTemplate,
  pods: string[],
  options: SmokeOptions,
): Promise<CheckOutcome> {
  try {
    // The probe's health first (a wrong address fails at once, not after hashing gigabytes), then
    // file by file, each hashed just before it is sent, stopping at once on Ctrl-C.
    const token = storedProbeToken(ctx.state.dir);
    await checkProbe(to, host, { token });
    const pushed = await pushFileByFile({ to, host, token, template, signal: ctx.options.signal, show: (line) => options.onProgress?.(`${name}: ${line}`) });
    // The table's rate is the transfer's, without the checksums computed before each file.
    const result = { ...pushed, bytesPerSecond: pushed.bytes / Math.max(pushed.seconds, 1e-3) };
    const mismatch = await verifyOnOtherReplica(ctx, template, result, pods);
    if (!options.keep)
      for (const file of template.files)
        await httpRequest(`${to}${(await probe()).pathPrefix}/files/${template.name}/${file.path}`, { method: "DELETE", host }).catch(() => undefined);
    return mismatch
      ? { name, ok: false, detail: mismatch, bytesPerSecond: result.bytesPerSecond }
      : {
          name,
          ok: true,
          detail: `${template.files.length} files, stored by ${[...new Set(result.files.map((f) => f.pod))].join(", ")}, sha256 verified on the other replica`,
          bytesPerSecond: result.bytesPerSecond,
        };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

/**
 * A real `anka registry push` to the lab (the documented uploader: `anka registry -r <url> push
 * -t <tag> <vm>`, veertuinc/anka-docs _partials/anka-virtualization-cli/command-line-reference/registry/push/_index.md),
 * then the template looked up through the registry's REST API, GET /registry/v2/vm
 * (veertuinc/anka-docs anka-build-cloud/working-with-registry-and-API.md). The list is cached for up to
 * ANKA_VM_LIST_CACHE_TTL (30 s; veertuinc/anka-docs anka-build-cloud/configuration-reference.md), so the lookup polls.
 */
export async function ankaPushCheck(ctx: LabContext, registryUrl: string, options: SmokeOptions): Promise<CheckOutcome> {
  const name = "anka registry push (Anka CLI)";
  if (!options.ankaTemplate) return { name, ok: "skipped", detail: "pass --anka-template NAME to push a real template with the Anka CLI" };
  if (!(await ankaCliInstalled(ctx.runner))) return { name, ok: "skipped", detail: "the anka CLI is not installed on this Mac" };
  const push = await ankaRegistryPush(ctx.runner, registryUrl, options.ankaTag, options.ankaTemplate);
  if (push.exitCode !== 0) return { name, ok: false, detail: `anka registry push exited ${push.exitCode}: ${(push.stderr || push.stdout).trim().split("\n").at(-1)}` };
  try {
    await waitFor(
      `${options.ankaTemplate} in ${registryUrl}/registry/v2/vm`,
      async () => {
        const list = (await (await fetch(`${registryUrl}/registry/v2/vm`)).json()) as { body?: { name?: string }[] };
        return list.body?.some((vm) => vm.name === options.ankaTemplate) ? ready(true) : notYet("not listed yet");
      },
      { timeoutMs: 90_000, intervalMs: 5_000, signal: ctx.options.signal },
    );
    return { name, ok: true, detail: `${options.ankaTemplate}:${options.ankaTag} pushed and listed by GET /registry/v2/vm` };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

/** A smoke outcome as a row of the one table (lab/checks/rows.ts): a push's rate leads its detail. */
export const SMOKE_ROWS: RowKind<CheckOutcome> = {
  row: (o): Row => ({
    mark: o.ok === "skipped" ? "skip" : o.ok ? "pass" : "fail",
    name: o.name,
    detail: o.bytesPerSecond ? `${formatRate(o.bytesPerSecond)}, ${o.detail}` : o.detail,
    fix: o.fix,
  }),
  thrown: (title, { detail, fix }) => ({ name: title, ok: false, detail, ...(fix ? { fix } : {}) }),
};

/** Where the checks push, and which sample; `id` names this run's etcd key and shared-volume file. */
export interface SmokeRun extends SmokeOptions {
  readonly id: string;
}

/**
 * lab:smoke's checks, in order: what each needs from an earlier one (the build-cloud pods) it
 * finds in this list's closure.
 */
export function smokeChecks(ctx: LabContext, run: SmokeRun): Check<CheckOutcome>[] {
  let pods: string[] = [];
  const registryIp = async () => (await loadBalancerAddress(ctx, NAMES.registryService)) ?? "127.0.0.1";
  const c = ctx.config;
  const { size, seed } = run;
  return [
    { title: "controller and registry status through their LoadBalancers", run: () => statusChecks(ctx) },
    { title: "etcd quorum, put via one member and get via another", run: () => etcdCheck(ctx, run.id) },
    {
      title: "both registries see one volume",
      run: async () => {
        pods = await buildCloudPods(ctx);
        return sharedVolumeCheck(ctx, run.id, pods);
      },
    },
    {
      title: `push ${formatBytes(size)} through the registry LoadBalancer`,
      run: async (progress) => {
        const to = `http://${await registryIp()}:${c.probe.port}`;
        return pushCheck(ctx, "push via LoadBalancer", to, undefined, sampleTemplate(size, seed), pods, { ...run, onProgress: progress });
      },
    },
    {
      title: `push ${formatBytes(size)} through the Ingress`,
      run: async (progress) => {
        // The Ingress answers on 127.0.0.1:<ingress.port> and routes by Host, so no /etc/hosts entry is needed.
        const to = ctx.usesMinikube ? `http://127.0.0.1:${c.ingress.port}` : `http://${c.registry.hostname}`;
        return pushCheck(ctx, "push via Ingress", to, c.registry.hostname, sampleTemplate(size, seed + 1), pods, { ...run, onProgress: progress });
      },
    },
    { title: "anka registry push with the Anka CLI", run: async () => ankaPushCheck(ctx, `http://${await registryIp()}:${c.registry.port}`, run) },
  ];
}
