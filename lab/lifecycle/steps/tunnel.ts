import { ensureTunnel, stopTunnel, tunnelProcessAlive } from "../../tools/tunnel.js";
import type { Step } from "../step.js";

/**
 * `minikube tunnel`, which gives the LoadBalancer Services their addresses on the Mac. A tunnel this
 * run starts is stopped again if the run is stopped (Ctrl-C): the next lab:up starts it again.
 */
export const tunnelStep: Step = {
  id: "tunnel",
  title: "minikube tunnel",
  summary: "minikube tunnel in the background (identity and log in .lab/); if this run started it, Ctrl-C stops it again",
  async run(ctx, report) {
    if (!(await tunnelProcessAlive(ctx))) report.onUndo(() => stopTunnel(ctx));
    const outcome = await ensureTunnel(ctx);
    if (outcome === "running") report.skip("already running and forwarding (identity in .lab/tunnel.json)");
    else if (outcome === "adopted") report.output("a minikube tunnel you started serves this profile; the lab uses it and lab:down leaves it running");
    else report.output(`${ctx.dryRun ? "would be started" : outcome}; log in ${ctx.state.path("tunnel.log")}`);
  },
};

/** lab:down's twin: stops the tunnel the lab started; one the user started is left to them. */
export const stopTunnelStep: Step = {
  id: "tunnel",
  title: "stop minikube tunnel",
  summary: "SIGINT to the tunnel the lab started; one you started yourself is left running",
  async run(ctx, report) {
    const stopped = await stopTunnel(ctx);
    if (stopped === "not running") report.skip("not running");
    else if (stopped === "left to its owner") report.skip("a tunnel you started: left running (stop it with Ctrl-C in its terminal)");
  },
};
