import { randomBytes } from "node:crypto";
import { taskList } from "../cli/tasks.js";
import { type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { formatBytes } from "../config/size.js";
import { NAMES } from "../manifests/names.js";
import { ankaPushCheck, buildCloudPods, etcdCheck, formatOutcomes, pushCheck, sharedVolumeCheck, statusChecks, type CheckOutcome, type SmokeOptions } from "../smoke/checks.js";
import { loadBalancerAddress } from "../steps/waits.js";
import { sampleTemplate } from "../template/sample.js";
import { LAB_FLAGS, VERBOSE_FLAG, createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export const smokeSpec: CommandSpec = {
  name: "lab:smoke",
  summary: "prove the HA claims: status, etcd quorum, one shared registry volume, multi-GiB pushes through the LoadBalancer and the Ingress",
  flags: [
    ...LAB_FLAGS,
    { name: "size", type: "string", value: "SIZE", description: "sample template size per push (default 2Gi)" },
    { name: "seed", type: "string", value: "N", description: "which sample template (default: a new one each run)" },
    { name: "anka-template", type: "string", value: "NAME", description: "also push this VM with the real Anka CLI and find it through the registry's REST API" },
    { name: "tag", type: "string", value: "TAG", description: "tag for --anka-template (default anka-lab-smoke)" },
    { name: "keep", type: "boolean", description: "leave the pushed sample files on the shared volume" },
    VERBOSE_FLAG,
  ],
  details: `Checks, each a pass/fail line; all run even when one fails, then a table with throughputs:
  - controller and registry status through their LoadBalancers
  - etcd: every member healthy; a key put through etcd-0 is read through etcd-1
  - both registry replicas see one volume: written in one pod, read in the other
  - the sample template pushed through the registry LoadBalancer, and again through the Ingress,
    then every file's sha256 recomputed inside the replica that did not store it
  - with --anka-template and the anka CLI: a real anka registry push, then GET /registry/v2/vm
Exits 1 if any check fails.`,
  examples: ["npm run lab:smoke", "npm run lab:smoke -- --size 8Gi", "npm run lab:smoke -- --anka-template macos-15 --tag base"],
};

export async function smokeCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const size = sizeFlag(args.values, "size", "2Gi", "2Gi");
  const givenSeed = seedFlag(args.values);
  const tag = typeof args.values.tag === "string" ? args.values.tag : "anka-lab-smoke";
  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits: deps.waits ?? { timeoutMs: 60_000, intervalMs: 2000 } });
  const id = randomBytes(4).toString("hex");
  const seed = givenSeed ?? randomBytes(3).readUIntBE(0, 3);
  const options: SmokeOptions = {
    size,
    seed,
    ankaTemplate: typeof args.values["anka-template"] === "string" ? args.values["anka-template"] : undefined,
    ankaTag: tag,
    keep: args.values.keep === true,
  };
  const outcomes: CheckOutcome[] = [];
  const record = (o: CheckOutcome) => {
    outcomes.push(o);
    if (o.ok === false) throw new Error(`${o.name}: ${o.detail}`);
    return o;
  };
  let pods: string[] = [];
  const registryIp = async () => (await loadBalancerAddress(ctx, NAMES.registryService)) ?? "127.0.0.1";
  const c = ctx.config;
  const tasks = taskList(
    [
      {
        title: "controller and registry status through their LoadBalancers",
        task: async () => {
          for (const o of await statusChecks(ctx)) record(o);
        },
      },
      { title: "etcd quorum, put via one member and get via another", task: async () => void record(await etcdCheck(ctx, id)) },
      {
        title: "both registries see one volume",
        task: async () => {
          pods = await buildCloudPods(ctx);
          record(await sharedVolumeCheck(ctx, id, pods));
        },
      },
      {
        title: `push ${formatBytes(size)} through the registry LoadBalancer`,
        task: async (_, task) => {
          const to = `http://${await registryIp()}:${c.probe.port}`;
          record(await pushCheck(ctx, "push via LoadBalancer", to, undefined, sampleTemplate(size, seed), pods, { ...options, onProgress: (l) => (task.output = l) }));
        },
      },
      {
        title: `push ${formatBytes(size)} through the Ingress`,
        task: async (_, task) => {
          // The Ingress answers on 127.0.0.1:<ingress.port> and routes by Host, so no /etc/hosts entry is needed.
          const to = ctx.usesMinikube ? `http://127.0.0.1:${c.ingress.port}` : `http://${c.registry.hostname}`;
          record(await pushCheck(ctx, "push via Ingress", to, c.registry.hostname, sampleTemplate(size, seed + 1), pods, { ...options, onProgress: (l) => (task.output = l) }));
        },
      },
      {
        title: "anka registry push with the Anka CLI",
        task: async (_, task) => {
          const o = record(await ankaPushCheck(ctx, `http://${await registryIp()}:${c.registry.port}`, options));
          if (o.ok === "skipped") task.skip(`anka registry push: ${o.detail}`);
        },
      },
    ],
    rendererFor(deps),
    { exitOnError: false },
  );
  try {
    await tasks.run().catch(() => undefined);
  } finally {
    interrupt.dispose();
  }
  const failed = outcomes.filter((o) => o.ok === false);
  io.out(`\n${formatOutcomes(outcomes)}\n`);
  if (interrupt.signal.aborted) {
    io.err("anka-lab: interrupted; the checks above ran.");
    return 130;
  }
  if (failed.length > 0) {
    io.err(`anka-lab: ${failed.length} smoke check(s) failed: ${failed.map((f) => f.name).join(", ")}. npm run lab:status shows the lab's state.`);
    return 1;
  }
  io.out(`All HA checks passed (sample seed ${seed}).`);
  return 0;
}
