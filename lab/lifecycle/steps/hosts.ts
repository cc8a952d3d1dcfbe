import { addHostsBlock, describeShadows, removeHostsBlock, hostsResolved, hostsShadows, labHostnames } from "../../tools/hostsFile.js";
import type { LabContext } from "../../context.js";
import { LabError } from "../../errors.js";
import type { Step } from "../step.js";

/**
 * What to do about /etc/hosts, decided before lab:up's task list starts (a question asked under
 * listr2's live view is drawn over and never seen):
 * - "add": --hosts, or a yes at the prompt;
 * - "skip": a no, or no terminal to ask on (stdin or stderr not a TTY, CI, --json);
 * - "plan": --dry-run; nothing is asked and the plan shows both answers.
 */
export type HostsChoice = "add" | "skip" | "plan";

/** The line the lab adds to the hosts file. */
export function hostsLine(ctx: LabContext): string {
  return `127.0.0.1 ${labHostnames(ctx).join(" ")}`;
}

/**
 * Asks the /etc/hosts question now, if it is to be asked at all: not when --hosts decides, not when
 * the names already resolve, never under --dry-run, and never without a terminal.
 */
export async function decideHosts(ctx: LabContext, addHosts: boolean): Promise<HostsChoice> {
  if (addHosts) return "add";
  if (ctx.dryRun) return "plan";
  if (hostsResolved(ctx) || !ctx.options.interactive) return "skip";
  const yes = await ctx.options.confirm(`Add "${hostsLine(ctx)}" to ${ctx.options.hostsFile}? It needs sudo, which may ask for your password.`);
  return yes ? "add" : "skip";
}

/**
 * The lab's hostnames in /etc/hosts, in a marked block with a backup, only with --hosts or a yes
 * at the visible prompt before the task list: the file is root's, so this is the one step that may
 * run sudo.
 */
export function hostsStep(choice: HostsChoice): Step {
  return {
    id: "hosts",
    title: "/etc/hosts entries",
    summary: "127.0.0.1 anka.controller anka.registry in a marked block, only with --hosts or your yes (asked before the first step)",
    async run(ctx, report) {
      const line = hostsLine(ctx);
      if (hostsResolved(ctx)) {
        report.skip(`${labHostnames(ctx).join(", ")} already resolve to 127.0.0.1`);
        return;
      }
      if (choice === "skip") {
        report.skip(`not changed; add "${line}" to ${ctx.options.hostsFile} yourself, or run npm run lab:up -- --hosts`);
        return;
      }
      const planned = ctx.plan.length;
      const { outcome, backup } = await addHostsBlock(ctx);
      if (choice === "plan")
        // Both answers: these lines run only with --hosts or a yes; otherwise the file is left alone.
        for (let i = planned; i < ctx.plan.length; i++) ctx.plan[i] = `with --hosts or a yes at the prompt: ${ctx.plan[i]}`;
      // An earlier line for a lab name wins over the block (the first match counts): say which line to remove.
      const shadows = ctx.dryRun ? [] : hostsShadows(ctx);
      if (shadows.length > 0) throw new LabError(`${outcome} the lab's block, but ${describeShadows(ctx.options.hostsFile, shadows)}`);
      report.output(`${outcome} "${line}"${backup ? ` (backup in ${backup})` : ""}`);
    },
  };
}

/** lab:down's twin: the lab's block goes, with a backup; the rest of the file is left as it is. */
export const removeHostsStep: Step = {
  id: "hosts",
  title: "remove the /etc/hosts block",
  summary: "the lab's block goes, with a backup; the rest of the file stays",
  async run(ctx, report) {
    const { outcome, backup } = await removeHostsBlock(ctx);
    if (outcome === "absent") report.skip(`no anka-lab block in ${ctx.options.hostsFile}`);
    else report.output(`removed (backup in ${backup})`);
  },
};
