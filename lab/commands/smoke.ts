import { randomBytes } from "node:crypto";
import type { Io, ParsedArgs } from "../cli/command.js";
import { stoppedLine } from "../cli/signals.js";
import { LabError } from "../errors.js";
import { labNotUp } from "../checks/labUp.js";
import { seedFlag, sizeFlag } from "../cli/flags.js";
import { SMOKE_ROWS, smokeChecks, type CheckOutcome, type SmokeOptions } from "../checks/smoke.js";
import { failures, formatRows, runChecks } from "../checks/rows.js";
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
  const notUp = await labNotUp(ctx);
  if (notUp) {
    interrupt.dispose();
    throw new LabError(notUp);
  }
  let outcomes: CheckOutcome[];
  try {
    outcomes = await runChecks(smokeChecks(ctx, { ...options, id }), SMOKE_ROWS, { renderer: rendererFor(deps), signal: interrupt.signal });
  } finally {
    interrupt.dispose();
  }
  const failed = failures(outcomes, SMOKE_ROWS);
  const json = args.flag("json");
  if (json) io.out(JSON.stringify({ ok: failed.length === 0 && !interrupt.signal.aborted, seed, checks: outcomes }, null, 2));
  else io.out(`\n${formatRows(outcomes.map(SMOKE_ROWS.row))}\n`);
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
