import { formatBytes } from "../../config/size.js";
import { diskUsageKiB } from "../../tools/inPod.js";
import { listPodsIn } from "../../tools/kubectl.js";
import { largeTransferAnnotations } from "../../topology/ingress.js";
import { formatRate } from "../../transfer/progress.js";
import { CONTROLLER_SELECTOR, INGRESS_NAMESPACE } from "../../lifecycle/steps/ingress.js";
import { sampleTemplate } from "../../transfer/sample.js";
import { sampleWhile } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { applyReproIngress, deleteReproIngress, ingressUrl, reproHost, waitReproRoute } from "../kit.js";

const BUFFERING = "nginx.ingress.kubernetes.io/proxy-request-buffering";
/** Where ingress-nginx spools request bodies: /tmp/nginx/client-body in the controller container (client_body_temp_path in kubernetes/ingress-nginx rootfs/etc/nginx/template/nginx.tmpl). */
const CLIENT_BODY_DIR = "/tmp/nginx/client-body";
/** A stall after 100% longer than this, or a spool of at least half the largest file, counts as the symptom. */
const STALL_SECONDS = 2;
const SAMPLE_MS = 1000;

async function controllerPod(t: ReproTools): Promise<string | undefined> {
  const pods = await listPodsIn(t.ctx, INGRESS_NAMESPACE, CONTROLLER_SELECTOR);
  return pods.find((p) => p.status?.phase === "Running")?.metadata.name;
}

/** `du -sk` of the spool directory in the ingress controller pod, in bytes (0 when it is empty or absent). */
async function spoolBytes(t: ReproTools, pod: string): Promise<number> {
  return ((await diskUsageKiB(t.ctx, INGRESS_NAMESPACE, pod, CLIENT_BODY_DIR)) ?? 0) * 1024;
}

async function pushAndWatch(t: ReproTools, seed: number): Promise<Observation> {
  const pod = await controllerPod(t);
  const template = sampleTemplate(t.options.size, seed);
  const largest = Math.max(...template.files.map((f) => f.size));
  let peak = 0;
  // Look at the spool every second while the push runs; each look is one kubectl exec.
  const result = await sampleWhile(
    t.push({ to: ingressUrl(t.ctx), host: reproHost(t.ctx), template, attempts: 1 }),
    async () => {
      if (pod) peak = Math.max(peak, await spoolBytes(t, pod));
    },
    SAMPLE_MS,
  );
  const stall = Math.max(...result.files.map((f) => f.answerSeconds));
  const evidence = [
    `after 100% of each file the client waited up to ${stall.toFixed(1)} s for the answer`,
    pod ? `the ingress pod's ${CLIENT_BODY_DIR} peaked at ${formatBytes(peak)} (largest file ${formatBytes(largest)})` : "no ingress controller pod found to measure",
    `throughput ${formatRate(result.bytesPerSecond)}`,
  ];
  // The verdict rests on what nginx wrote to its own disk: a wait after 100% alone can also be a slow
  // registry (sha256 of a large file), which buffering has nothing to do with.
  const symptom = pod !== undefined && peak >= largest / 2;
  const summary = symptom
    ? `the Ingress spooled the body before the registry saw it (stall ${stall.toFixed(1)} s after 100%, ${formatBytes(peak)} on the ingress pod's disk)`
    : stall >= STALL_SECONDS
      ? `the client waited ${stall.toFixed(1)} s after 100%, but the ingress pod spooled only ${formatBytes(peak)}: the wait is not request buffering`
      : `the body streamed through (stall ${stall.toFixed(1)} s, ${formatBytes(peak)} spooled)`;
  return { symptom, summary, evidence };
}

export const scenario: Scenario = {
  name: "ingress-request-buffering",
  summary: "with request buffering on, the ingress spools the whole push to its disk first; off, it streams",
  facts: [
    "proxy-request-buffering defaults to on: nginx reads the whole body, spooling past 8 KiB to /tmp/nginx/client-body, then replays it; the client sees 100% and waits (kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md, rootfs/etc/nginx/template/nginx.tmpl)",
    "Veertu lists it as cause #1 of 'connection aborted' right after 100% in anka registry push (veertuinc/anka-docs, anka-registry-push-connection-aborted-100.md)",
  ],
  async setup(t) {
    await applyReproIngress(t.ctx, { ...largeTransferAnnotations(t.ctx.config.ingress.timeoutSeconds), [BUFFERING]: "on" });
    await waitReproRoute(t);
  },
  act: (t) => pushAndWatch(t, 511),
  async fix(t) {
    await applyReproIngress(t.ctx, { ...largeTransferAnnotations(t.ctx.config.ingress.timeoutSeconds), [BUFFERING]: "off" });
    await waitReproRoute(t);
  },
  verify: (t) => pushAndWatch(t, 512),
  restore: (t) => deleteReproIngress(t.ctx),
};
