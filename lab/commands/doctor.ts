import type { Io, ParsedArgs } from "../cli/command.js";
import { DOCTOR_ROWS, blockers, runDoctor } from "../checks/doctor.js";
import { formatRows } from "../checks/rows.js";
import { createContext, type CommandDeps } from "./common.js";

export { doctorSpec } from "./specs.js";

export async function doctorCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const ctx = createContext(args, io, deps, { waits: { timeoutMs: 15_000, intervalMs: 250 } });
  const results = await runDoctor(ctx, deps.hostFacts);
  if (args.flag("json")) io.out(JSON.stringify(results, null, 2));
  else io.out(formatRows(results.map(DOCTOR_ROWS.row)));
  const failed = blockers(results);
  if (failed.length > 0) {
    io.err(`anka-lab: ${failed.length} blocker(s): ${failed.map((f) => f.name).join(", ")}. Fix them, then npm run lab:up.`);
    return 1;
  }
  return 0;
}
