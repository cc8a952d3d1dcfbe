import type { Io, ParsedArgs } from "../cli/command.js";
import { formatStatus, gatherStatus, statusHeader } from "../checks/status.js";
import { createContext, type CommandDeps } from "./common.js";

export { statusSpec } from "./specs.js";

export async function statusCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const ctx = createContext(args, io, deps, { waits: { timeoutMs: 0, intervalMs: 0 } });
  if (args.flag("json")) {
    const status = await gatherStatus(ctx);
    io.out(JSON.stringify(status, null, 2));
    return status.healthy ? 0 : 1;
  }
  // The report's first line (which context) at once; the rest once minikube and kubectl have answered.
  io.out(statusHeader(ctx));
  const status = await gatherStatus(ctx);
  io.out(formatStatus(status));
  return status.healthy ? 0 : 1;
}
