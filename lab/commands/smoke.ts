import { randomBytes } from "node:crypto";
import { taskList, type LabTask } from "../cli/tasks.js";
import type { Io, ParsedArgs } from "../cli/command.js";
import { stoppedLine } from "../cli/signals.js";
import { labNotUp } from "../checks/labUp.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { formatBytes } from "../config/size.js";
import { NAMES } from "../topology/names.js";
import { ankaPushCheck, buildCloudPods, etcdCheck, formatOutcomes, pushCheck, sharedVolumeCheck, statusChecks, type CheckOutcome, type SmokeOptions } from "../checks/smoke.js";
import { loadBalancerAddress } from "../lifecycle/steps/waits.js";
import { sampleTemplate } from "../transfer/sample.js";
import { createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export { smokeSpec } from "./specs.js";

export async function smokeCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const size = sizeFlag(args.values, "size", "2Gi", "2Gi");
  const givenSeed = seedFlag(args.values);
  const tag = args.string("tag") ?? "anka-lab-smoke";
  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits: deps.waits ?? { timeoutMs: 60_000, intervalMs: 2000 } });
  const id = randomBytes(4).toString("hex");
  const seed = givenSeed ?? randomBytes(3).readUIntBE(0, 3);
  const options: SmokeOptions = {
    size,
    seed,
    ankaTemplate: args.string("anka-template"),
    ankaTag: tag,
    keep: args.flag("keep"),
  };
  const outcomes: CheckOutcome[] = [];
  const record = (o: CheckOutcome) => {
    outcomes.push(o);
    if (o.ok === false) throw new Error(`${o.name}: ${o.detail}`);
    return o;
  };
  const notUp = await labNotUp(ctx);
  if (notUp) {
    interrupt.dispose();
    throw new Error(notUp);
  }
  /**
   * A check that throws (kubectl failing, a pod gone) is a failed check like any other: a ✗ row
   * with its message, counted in the summary. `recorded` says the task already recorded its rows.
   */
  const checked = (title: string, run: (task: Parameters<LabTask["task"]>[1]) => Promise<void>): LabTask => ({
    title,
    task: async (_, task) => {
      const before = outcomes.length;
      try {
        await run(task);
      } catch (error) {
        if (outcomes.length === before || outcomes.at(-1)?.ok !== false) {
          const detail = interrupt.signal.aborted ? "stopped by the interrupt" : (error as Error).message.split("\n")[0]!;
          outcomes.push({ name: title, ok: false, detail });
        }
        throw error;
      }
    },
  });
  let pods: string[] = [];
  const registryIp = async () => (await loadBalancerAddress(ctx, NAMES.registryService)) ?? "127.0.0.1";
  const c = ctx.config;
  const tasks = taskList(
    [
      checked("controller and registry status through their LoadBalancers", async () => {
        for (const o of await statusChecks(ctx)) record(o);
      }),
      checked("etcd quorum, put via one member and get via another", async () => void record(await etcdCheck(ctx, id))),
      checked("both registries see one volume", async () => {
        pods = await buildCloudPods(ctx);
        record(await sharedVolumeCheck(ctx, id, pods));
      }),
      checked(`push ${formatBytes(size)} through the registry LoadBalancer`, async (task) => {
        const to = `http://${await registryIp()}:${c.probe.port}`;
        record(await pushCheck(ctx, "push via LoadBalancer", to, undefined, sampleTemplate(size, seed), pods, { ...options, onProgress: (l) => (task.output = l) }));
      }),
      checked(`push ${formatBytes(size)} through the Ingress`, async (task) => {
        // The Ingress answers on 127.0.0.1:<ingress.port> and routes by Host, so no /etc/hosts entry is needed.
        const to = ctx.usesMinikube ? `http://127.0.0.1:${c.ingress.port}` : `http://${c.registry.hostname}`;
        record(await pushCheck(ctx, "push via Ingress", to, c.registry.hostname, sampleTemplate(size, seed + 1), pods, { ...options, onProgress: (l) => (task.output = l) }));
      }),
      checked("anka registry push with the Anka CLI", async (task) => {
        const o = record(await ankaPushCheck(ctx, `http://${await registryIp()}:${c.registry.port}`, options));
        if (o.ok === "skipped") task.skip(`anka registry push: ${o.detail}`);
      }),
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
  const json = args.flag("json");
  if (json) io.out(JSON.stringify({ ok: failed.length === 0 && !interrupt.signal.aborted, seed, checks: outcomes }, null, 2));
  else io.out(`\n${formatOutcomes(outcomes)}\n`);
  if (interrupt.signal.aborted) {
    io.err(stoppedLine(interrupt, `after ${outcomes.length} check(s), shown above`, "npm run lab:smoke"));
    return interrupt.exitCode;
  }
  if (failed.length > 0) {
    io.err(`anka-lab: ${failed.length} smoke check(s) failed: ${failed.map((f) => f.name).join(", ")}. npm run lab:status shows the lab's state.`);
    return 1;
  }
  if (!json) io.out(`All HA checks passed (sample seed ${seed}).`);
  return 0;
}
