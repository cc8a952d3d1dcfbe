import type { CommandSpec, Io, ParsedArgs } from "../cli/command.js";
import { formatStatus, gatherStatus } from "../status.js";
import { LAB_FLAGS, VERBOSE_FLAG, createContext, type CommandDeps } from "./common.js";

export const statusSpec: CommandSpec = {
  name: "lab:status",
  summary: "show the lab's profile, tunnel, pods, endpoints and health",
  flags: [...LAB_FLAGS, { name: "json", type: "boolean", description: "print one JSON object, for scripts" }, VERBOSE_FLAG],
  details: "Exits 0 when everything is healthy, 1 otherwise. Changes nothing.",
  examples: ["npm run lab:status", "npm run -s lab:status -- --json | jq .health"],
};

export async function statusCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const ctx = createContext(args, io, deps, { waits: { timeoutMs: 0, intervalMs: 0 } });
  const status = await gatherStatus(ctx);
  io.out(args.values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
  return status.healthy ? 0 : 1;
}
