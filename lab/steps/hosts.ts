import { addHostsBlock, describeShadows, hostsResolved, hostsShadows, labHostnames } from "../hosts.js";
import type { Step } from "./step.js";

/**
 * The lab's hostnames in /etc/hosts, in a marked block with a backup, only with --hosts or a yes
 * at a visible prompt: the file is root's, so this is the one step that may run sudo.
 */
export function hostsStep(addHosts: boolean): Step {
  return {
    id: "hosts",
    title: "/etc/hosts entries",
    async run(ctx, report) {
      const line = `127.0.0.1 ${labHostnames(ctx).join(" ")}`;
      if (hostsResolved(ctx)) {
        report.skip(`${labHostnames(ctx).join(", ")} already resolve to 127.0.0.1`);
        return;
      }
      const consent =
        addHosts ||
        (ctx.options.interactive &&
          (await ctx.options.confirm(`Add "${line}" to ${ctx.options.hostsFile}? It needs sudo, which may ask for your password.`)));
      if (!consent) {
        report.skip(`not changed; add "${line}" to ${ctx.options.hostsFile} yourself, or run npm run lab:up -- --hosts`);
        return;
      }
      const { outcome, backup } = await addHostsBlock(ctx);
      // An earlier line for a lab name wins over the block (the first match counts): say which line to remove.
      const shadows = ctx.dryRun ? [] : hostsShadows(ctx);
      if (shadows.length > 0) throw new Error(`${outcome} the lab's block, but ${describeShadows(ctx.options.hostsFile, shadows)}`);
      report.output(`${outcome} "${line}"${backup ? ` (backup in ${backup})` : ""}`);
    },
  };
}
