import { UsageError, type CommandSpec, type Io, type ParsedArgs } from "../cli/command.js";
import { downSteps } from "../down.js";
import { runSteps } from "../steps/step.js";
import { DRY_RUN_FLAG, LAB_FLAGS, VERBOSE_FLAG, createContext, interruptible, rendererFor, withSignal, type CommandDeps } from "./common.js";

export const downSpec: CommandSpec = {
  name: "lab:down",
  summary: "take the lab down; registry and etcd data stay unless --purge (safe to run twice)",
  flags: [
    ...LAB_FLAGS,
    { name: "purge", type: "boolean", description: "also delete the registry and etcd volumes and the namespace (asks first)" },
    { name: "yes", short: "y", type: "boolean", description: "do not ask before --purge" },
    { name: "delete-cluster", type: "boolean", description: "also delete the minikube profile (needs --purge: its data goes with it)" },
    DRY_RUN_FLAG,
    VERBOSE_FLAG,
  ],
  details: `Stops the tunnel, removes the lab's Deployments, StatefulSets, Services, Ingresses and budgets,
and removes the lab's /etc/hosts block. The PersistentVolumeClaims (templates in the registry volume,
etcd's data) stay, so the next lab:up finds them again.`,
  examples: ["npm run lab:down", "npm run lab:down -- --purge --yes", "npm run lab:down -- --delete-cluster --purge"],
};

export async function downCommand(args: ParsedArgs, io: Io, deps: CommandDeps = {}): Promise<number> {
  const purge = args.values.purge === true;
  const deleteCluster = args.values["delete-cluster"] === true;
  if (deleteCluster && !purge)
    throw new UsageError("--delete-cluster deletes the registry and etcd data with the cluster; add --purge to confirm that");
  const interrupt = interruptible(deps);
  const ctx = createContext(args, io, withSignal(deps, interrupt.signal), { waits: deps.waits ?? { timeoutMs: 180_000, intervalMs: 1000 } });
  try {
    if (purge && args.values.yes !== true && !ctx.dryRun) {
      const what = `the registry's templates and etcd's data in namespace ${ctx.config.namespace}${deleteCluster ? ` and the minikube profile ${ctx.config.profile}` : ""}`;
      if (!ctx.options.interactive)
        throw new UsageError(`--purge deletes ${what}; add --yes to confirm when there is no terminal to ask on`);
      if (!(await ctx.options.confirm(`Delete ${what}? This cannot be undone.`))) {
        io.err("anka-lab: nothing deleted.");
        return 1;
      }
    }
    await runSteps(ctx, "lab:down", downSteps({ purge, deleteCluster }), rendererFor(deps));
  } finally {
    interrupt.dispose();
  }
  if (ctx.dryRun) io.out(ctx.formatPlan());
  else io.out(purge ? "The lab is down and its data deleted." : "The lab is down. Its data is kept: npm run lab:up brings it back.");
  return 0;
}
