import { ensureTunnel } from "../../tools/tunnel.js";
import type { Step } from "../step.js";

export const tunnelStep: Step = {
  id: "tunnel",
  title: "minikube tunnel",
  enabled: (ctx) => ctx.usesMinikube,
  async run(ctx, report) {
    const outcome = await ensureTunnel(ctx);
    if (outcome === "running") report.skip("already running and forwarding (identity in .lab/tunnel.json)");
    else if (outcome === "adopted") report.output("a minikube tunnel you started serves this profile; the lab uses it and lab:down leaves it running");
    else report.output(`${ctx.dryRun ? "would be started" : outcome}; log in ${ctx.state.path("tunnel.log")}`);
  },
};
