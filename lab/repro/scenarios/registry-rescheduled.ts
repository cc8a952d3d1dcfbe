import { listDirInProbe, sha256InProbe } from "../../tools/inPod.js";
import { deletePodNoWait } from "../../tools/kubectl.js";
import { probeLoadBalancerUrl, runningBuildCloudPods } from "../../observe.js";
import { PROBE } from "../../topology/probe.js";
import { PushError } from "../../transfer/client.js";
import { fileSha256, sampleTemplate, type SampleTemplate } from "../../transfer/sample.js";
import { notYet, ready, waitFor } from "../../wait.js";
import type { Observation, ReproTools, Scenario } from "../scenario.js";
import { waitBuildCloudReady } from "../kit.js";

export const scenario: Scenario = {
  name: "registry-rescheduled",
  summary: "delete the registry pod in the middle of a push: the client sees it, nothing partial is committed, the retry lands on the surviving replica",
  facts: [
    "a registry hitting its limits may be rescheduled mid-transfer (https://docs.veertu.com/anka/anka-build-cloud/high-availability/with-kubernetes/, FAQ); both replicas share one volume, so the other can take the retry",
    "the probe commits a file only by atomic rename after size and sha256 match; a broken body leaves only a temp file in .partial/",
  ],
  async setup(t) {
    const pods = await runningBuildCloudPods(t.ctx);
    if (pods.length < 2) throw new Error(`${pods.length} build-cloud pod(s) running; this needs 2 (buildCloud.replicas)`);
    t.memo.pods = pods;
  },
  async act(t): Promise<Observation> {
    const pods = t.memo.pods as string[];
    const template = sampleTemplate(t.options.size, 541);
    t.memo.template = template;
    const pushing = t.push({ to: await probeLoadBalancerUrl(t.ctx), template, attempts: 1 }).then(
      () => undefined,
      (error: Error) => error,
    );
    // The receiving pod names its temp file; delete that pod while the body is arriving.
    const victim = await waitFor(
      "a push to be in flight",
      async () => {
        const partials = await listDirInProbe(t.ctx, pods[0]!, `${PROBE.dataDir}/.partial`);
        const pod = pods.find((p) => partials.some((f) => f.startsWith(`${p}-`)));
        return pod ? ready(pod) : notYet("no partial file yet");
      },
      { ...t.ctx.options.waits, intervalMs: 250, signal: t.ctx.options.signal },
    );
    await deletePodNoWait(t.ctx, victim);
    t.memo.victim = victim;
    const error = await pushing;
    const survivor = pods.find((p) => p !== victim)!;
    // What the survivor holds, judged by content: a committed file must be the template's, byte for
    // byte. The claim "nothing partial is committed" is only as good as this check.
    const seen = await Promise.all(template.files.map((f) => sha256InProbe(t.ctx, survivor, `${PROBE.dataDir}/files/${template.name}/${f.path}`)));
    const want = await Promise.all(template.files.map((f) => fileSha256(template, f)));
    const whole = template.files.filter((_, i) => seen[i] === want[i]).map((f) => f.path);
    const broken = template.files.filter((_, i) => seen[i] !== undefined && seen[i] !== want[i]).map((f) => f.path);
    if (broken.length)
      throw new Error(`a partial or corrupt file was committed on ${survivor}: ${broken.join(", ")} (sha256 differs from the template's); the probe's atomic commit did not hold`);
    const evidence = [`deleted ${victim} while it received the push; ${survivor} survived`, error ? `the client saw: ${error.message}` : "the client saw no failure"];
    return {
      symptom: error instanceof PushError,
      summary: error ? `the push failed when ${victim} went away` : `the push finished before ${victim} went away`,
      evidence: [
        ...evidence,
        `files committed before the failure: ${whole.length} of ${template.files.length}, each matching the template's sha256${whole.length ? ` (${whole.join(", ")})` : ""}; none partial`,
      ],
    };
  },
  async fix() {
    // The remedy is the retry itself: the LoadBalancer sends it to a replica that is up.
  },
  async verify(t): Promise<Observation> {
    const result = await t.push({ to: await probeLoadBalancerUrl(t.ctx), template: t.memo.template as SampleTemplate, attempts: 5, backoffMs: 2000 });
    const pods = [...new Set(result.files.map((f) => f.pod))];
    return {
      symptom: false,
      summary: `the retry through the LoadBalancer completed on ${pods.join(", ")}`,
      evidence: [`${result.files.length} files stored and verified by sha256; ${t.memo.victim as string} was deleted`],
    };
  },
  async restore(t) {
    await waitBuildCloudReady(t);
  },
};
