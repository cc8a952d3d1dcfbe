import { ensureTunnel } from "../minikube/tunnel.js";
import type { Step } from "./step.js";

export const tunnelStep: Step = {
  id: "tunnel",
  title: "minikube tunnel",
  enabled: (ctx) => ctx.usesMinikube,
  async run(ctx, report) {
    const outcome = await ensureTunnel(ctx);
    if (outcome === "running") report.skip("already running (pid in .lab/tunnel.json)");
    else report.output(`${ctx.dryRun ? "would be started" : outcome}; log in ${ctx.state.path("tunnel.log")}`);
  },
};
