import type { CommandSpec, Io, ParsedArgs } from "../cli/command.js";
import { formatStatus, gatherStatus } from "../status.js";
import { LAB_FLAGS, VERBOSE_FLAG, createContext, type CommandDeps } from "./common.js";

export { statusSpec } from "./specs.js";

export async function statusCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const ctx = createContext(args, io, deps, { waits: { timeoutMs: 0, intervalMs: 0 } });
  const status = await gatherStatus(ctx);
  io.out(args.values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
  return status.healthy ? 0 : 1;
}
