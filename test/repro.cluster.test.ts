import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { reproCommand, reproSpec, type ReproDeps } from "../lab/commands/repro.js";
import { upCommand, upSpec } from "../lab/commands/up.js";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { PushError, pushTemplate, type PushOptions, type PushResult } from "../lab/transfer/client.js";
import { fileStream, type SampleTemplate, type TemplateFile } from "../lab/transfer/sample.js";
import { controlPlaneAvailable, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { FakeCluster } from "./support/fakeCluster.js";
import { isMutating } from "./support/fakeRunner.js";
import { ankaStubs, harness, printLabStderrOnFailure, type AnkaStubs, type Harness } from "./support/lab.js";

/**
 * Every lab:repro scenario's plan, verdict and restore on the minikube path: minikube and the
 * commands inside pods are played, kubectl and Kubernetes are real (the control-plane tier).
 */
const available = controlPlaneAvailable("test/repro.cluster.test.ts");
const controlPlane = available
  ? useControlPlane({ loadBalancers: () => cluster?.tunnel.alive ?? false })
  : () => {
      throw new Error("no control plane");
    };

let stubs: AnkaStubs;
let probe: RunningProbe;
const volume = mkdtempSync(join(tmpdir(), "anka-lab-repro-vol-"));
beforeAll(async () => {
  stubs = await ankaStubs();
  probe = await startProbe({ volume, pod: "anka-build-cloud-7d9c8b6f5-ax0" });
});
afterAll(async () => {
  await probe?.stop();
  await stubs?.close();
});

let cluster: FakeCluster;
let lab: Harness;
let ports: string[];
let namespace: string;
beforeEach(async ({ onTestFailed }) => {
  printLabStderrOnFailure(onTestFailed, () => lab);
  if (!available) return;
  stubs.controllerOk = () => true;
  namespace = uniqueNamespace();
  cluster = new FakeCluster({ controlPlane: controlPlane(), kubeconfig: testKubeconfig(controlPlane()) });
  cluster.inPod!.podVolume = volume;
  lab = harness(cluster, stubs, { waits: { timeoutMs: 60_000, intervalMs: 200 } }, { ANKA_LAB_NAMESPACE: namespace });
  ports = ["--set", `probe.port=${probe.port}`];
  expect(await lab.run(upSpec, upCommand, ...ports)).toBe(0);
  lab.io.stdout.length = 0;
});

/** An object of this test's namespace from the real API server, or undefined. */
function live(kind: string, name: string): any {
  try {
    return JSON.parse(execFileSync("kubectl", ["--context", "anka-lab", "get", kind, name, "-n", namespace, "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    return undefined;
  }
}
const names = (resource: string, selector?: string): string[] =>
  JSON.parse(execFileSync("kubectl", ["--context", "anka-lab", "get", resource, "-n", namespace, ...(selector ? ["-l", selector] : []), "-o", "json"], { encoding: "utf8" }))
    .items.filter((o: any) => !o.metadata.deletionTimestamp)
    .map((o: any) => o.metadata.name)
    .sort();
const buildCloudPods = () => names("pods", "app.kubernetes.io/name=anka-build-cloud");
const limitsOf = () => live("deployment", "anka-build-cloud").spec.template.spec.containers.map((c: any) => c.resources?.limits?.memory);

/** A push that answers as `decide` says, without moving bytes. */
function scriptedPush(decide: (options: Omit<PushOptions, "signal">) => Partial<PushResult> | Error): ReproDeps["push"] {
  return async (options) => {
    const outcome = decide(options);
    if (outcome instanceof Error) throw outcome;
    const files = options.template.files.map((f) => ({ path: f.path, size: f.size, sha256: "0".repeat(64), seconds: 0.1, attempts: 1, pod: "anka-build-cloud-7d9c8b6f5-ax0", answerSeconds: 0.05 }));
    return { files, bytes: options.template.totalSize, seconds: 1, bytesPerSecond: 3e8, ...outcome };
  };
}

async function repro(deps: ReproDeps, ...argv: string[]) {
  lab.deps = { ...lab.deps, ...deps } as never;
  const code = await lab.run(reproSpec, (args, io, d) => reproCommand(args, io, d as ReproDeps), ...argv, ...ports, "--size", "8Mi");
  if (process.env.ALAB_DEBUG) console.log(`exit ${code}\n${lab.io.stdout.join("\n")}\n${lab.io.stderr.join("\n")}`);
  return code;
}

const reproIngress = () => live("ingress", "anka-lab-repro");
const nginx413 = () =>
  new PushError('413 from nginx: the Ingress lacks proxy-body-size: "0" (ingress-nginx refuses bodies over 1m by default); the lab\'s registry Ingress sets it, check the annotations on yours', false, 413);
const always = { httpOk: async () => true };

describe.skipIf(!available)("lab:repro ingress-body-size", () => {
  const pushByAnnotations = scriptedPush(() => (reproIngress()?.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"] === "0" ? {} : nginx413()));

  it("reproduces the 413, fixes it with proxy-body-size: 0, and removes its Ingress", async () => {
    const before = cluster.runner.calls.length;
    expect(await repro({ ...always, push: pushByAnnotations }, "ingress-body-size")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the Ingress refused the push with 413\n  413 from nginx: the Ingress lacks proxy-body-size");
    expect(out).toContain("fixed: the push of 4 files went through the Ingress");
    expect(out).toMatch(/lab restored$/);
    expect(out).toContain("fact: ingress-nginx's proxy-body-size defaults to 1m");
    const plan = cluster.runner.calls.slice(before).filter(isMutating).map((c) => c.argv.slice(3, 6).join(" "));
    expect(plan).toEqual(["apply --server-side --field-manager=anka-lab-repro", "apply --server-side --field-manager=anka-lab-repro", "delete ingress anka-lab-repro"]);
    expect(reproIngress()).toBeUndefined();
    expect(names("ingresses")).toEqual(["anka-controller", "anka-registry"]);
  });

  it("says why when the symptom does not show, and still restores", async () => {
    expect(await repro({ ...always, push: scriptedPush(() => ({})) }, "ingress-body-size")).toBe(1);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("not reproduced here, because the push of 4 files went through the Ingress");
    expect(reproIngress()).toBeUndefined();
  });

  it("leaves the broken state with --keep", async () => {
    expect(await repro({ ...always, push: pushByAnnotations }, "ingress-body-size", "--keep")).toBe(0);
    expect(lab.io.stdout.join("\n")).toMatch(/reproduced: [\s\S]*left broken for investigation \(--keep\)/);
    expect(reproIngress().metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"]).toBeUndefined();
  });
});

describe.skipIf(!available)("lab:repro ingress-request-buffering", () => {
  it("shows the stall and the spool with buffering on, none with it off", async () => {
    // Like nginx: the spool holds the body only while the push runs, and is gone when it answers.
    const sampled = () => new Promise<void>((resolve) => (cluster.inPod!.onAnswered = (argv) => argv.includes("du") && resolve()));
    const push: ReproDeps["push"] = async (options) => {
      const buffering = reproIngress().metadata.annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] === "on";
      cluster.inPod!.spoolKiB = buffering ? 6 * 1024 : 0;
      await sampled();
      cluster.inPod!.spoolKiB = 0;
      return scriptedPush(() => ({
        files: [{ path: "images/layer-0.ank", size: 7 * 2 ** 20, sha256: "0".repeat(64), seconds: 9, attempts: 1, pod: "p", answerSeconds: buffering ? 8.5 : 0.02 }],
      }))!(options);
    };
    expect(await repro({ ...always, push }, "ingress-request-buffering")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the Ingress spooled the body before the registry saw it (stall 8.5 s after 100%, 6.0 MiB on the ingress pod's disk)");
    expect(out).toContain("  the ingress pod's /tmp/nginx/client-body peaked at 6.0 MiB");
    expect(out).toContain("fixed: the body streamed through (stall 0.0 s, 0 B spooled)");
  });

  it("does not call a wait after 100% buffering when nothing was spooled on the ingress pod", async () => {
    // A slow registry: the client waits after 100% with buffering on, but nginx's spool stays empty.
    const push: ReproDeps["push"] = async (options) => {
      cluster.inPod!.spoolKiB = 0;
      await new Promise<void>((resolve) => (cluster.inPod!.onAnswered = (argv) => argv.includes("du") && resolve()));
      return scriptedPush(() => ({
        files: [{ path: "images/layer-0.ank", size: 7 * 2 ** 20, sha256: "0".repeat(64), seconds: 9, attempts: 1, pod: "p", answerSeconds: 8.5 }],
      }))!(options);
    };
    expect(await repro({ ...always, push }, "ingress-request-buffering")).toBe(1);
    expect(lab.io.stdout.join("\n")).toContain(
      "not reproduced here, because the client waited 8.5 s after 100%, but the ingress pod spooled only 0 B: the wait is not request buffering",
    );
  });

  it("restores even when the push fails in the middle", async () => {
    const push = scriptedPush(() => new PushError("nothing listens at 127.0.0.1:8080: is the lab up and its tunnel running (npm run lab:status)?", true));
    expect(await repro({ ...always, push }, "ingress-request-buffering")).toBe(1);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("stopped in act: nothing listens at 127.0.0.1:8080");
    expect(out).toMatch(/lab restored$/);
    expect(reproIngress()).toBeUndefined();
  });
});

describe.skipIf(!available)("lab:repro registry-memory-limit", () => {
  it("limits the registry, reports OOMKilled restarts, and puts the lab back", async () => {
    let restarted: string[] = [];
    const clean = scriptedPush(() => ({}))!;
    // Under a limit, the limited containers are OOMKilled mid-push, as kubelet reports it.
    const push: ReproDeps["push"] = async (options) => {
      if (!limitsOf().some(Boolean)) return clean(options);
      restarted = buildCloudPods();
      for (const pod of restarted) await cluster.restartContainers(namespace, pod, "probe", "OOMKilled", 137);
      throw new PushError("connection reset mid-transfer: something between you and the registry cut it", true);
    };
    expect(await repro({ ...always, push }, "registry-memory-limit", "--memory-limit", "128Mi")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the limited containers restarted or the push failed");
    expect(restarted).toHaveLength(2);
    expect(out).toContain(`restarts during the push: ${restarted[0]} (1), ${restarted[1]} (1)`);
    expect(out).toContain(`${restarted[0]} probe: OOMKilled (exit 137)`);
    expect(out).toContain("fixed: memory stayed well under any limit and nothing restarted");
    // Set and removed by server-side apply under the lab's own field manager, so lab:up could undo it too.
    const applies = cluster.runner.callsOf("kubectl", "--context", "anka-lab", "apply");
    expect(applies.map((c) => c.argv.slice(3).join(" "))).toEqual(Array(4).fill("apply --server-side --field-manager=anka-lab --force-conflicts -f -"));
    const limitsApplied = applies.map((c) =>
      parseAllDocuments(c.options!.input!)
        .map((d) => d.toJS())
        .filter((o) => o.kind === "Deployment")
        .flatMap((o) => o.spec.template.spec.containers.map((k: any) => k.resources?.limits?.memory ?? "-"))
        .join(","),
    );
    expect(limitsApplied).toEqual(["-,-,-", "-,128Mi,128Mi", "-,-,-", "-,-,-"]);
    expect(limitsOf()).toEqual([undefined, undefined, undefined]);
  });
});

describe("etcd-quorum thresholds", () => {
  it("come from the member count: one down keeps quorum, quorum-1 left loses it", async () => {
    const { quorumThresholds } = await import("../lab/repro/scenarios/etcd-quorum.js");
    expect(quorumThresholds(3)).toEqual({ members: 3, quorum: 2, oneDown: 2, belowQuorum: 1 });
    expect(quorumThresholds(5)).toEqual({ members: 5, quorum: 3, oneDown: 4, belowQuorum: 2 });
    expect(quorumThresholds(7)).toEqual({ members: 7, quorum: 4, oneDown: 6, belowQuorum: 3 });
  });
});

describe.skipIf(!available)("lab:repro etcd-quorum", () => {
  it("keeps working with one member down, reports two down, and finds the key after restore", async () => {
    // The controller answers while etcd keeps a majority: the replicas the scenario scales to.
    let replicas = 3;
    cluster.onKubectl = (verb, argv) => {
      if (verb === "scale") replicas = Number(argv.find((a) => a.startsWith("--replicas="))!.split("=")[1]);
    };
    stubs.controllerOk = () => replicas >= 2;
    expect(await repro({ ...always }, "etcd-quorum")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the controller kept working with one of 3 members down and reported the failure with 2 down (quorum 2)");
    expect(out).toMatch(/2 members down: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/status: 500 FAIL/);
    expect(out).toContain('fixed: quorum is back; the key written before reads "written-before-the-outage" through the restarted member, controller OK');
    expect(cluster.runner.calls.filter((c) => c.argv[3] === "scale").map((c) => c.argv.at(-1))).toEqual(["--replicas=2", "--replicas=1", "--replicas=3"]);
    expect(live("statefulset", "etcd").spec.replicas).toBe(3);
    expect(live("statefulset", "etcd").status.readyReplicas).toBe(3);
    expect(cluster.inPod!.etcdKeys.size).toBe(0);
  });
});

describe.skipIf(!available)("lab:repro registry-rescheduled", () => {
  it("deletes the receiving pod mid-push; nothing is committed; the retry lands on the survivor", async () => {
    mkdirSync(join(volume, "anka-lab-probe", ".partial"), { recursive: true });
    const [survivor, receiver] = buildCloudPods();
    let attempt = 0;
    const push: ReproDeps["push"] = async (options) => {
      if (attempt++ === 0) {
        // The receiving pod names its temp file (lab/transfer/probeServer.mjs); the connection dies with the pod.
        writeFileSync(join(volume, "anka-lab-probe", ".partial", `${receiver}-0123.part`), "half");
        await new Promise<void>((resolve) => (cluster.onKubectl = (verb, argv) => verb === "delete" && argv.includes("pod") && resolve()));
        throw new PushError("connection reset mid-transfer: something between you and the registry cut it (an idle timeout such as an AWS NLB's 350 s, or the registry pod went away); nothing partial was committed", true);
      }
      return scriptedPush(() => ({}))!(options);
    };
    expect(await repro({ ...always, push }, "registry-rescheduled")).toBe(0);
    expect(cluster.runner.calls.filter((c) => c.argv[3] === "delete").map((c) => c.argv.slice(3, 6))).toEqual([["delete", "pod", receiver]]);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain(`reproduced: the push failed when ${receiver} went away`);
    expect(out).toContain(`deleted ${receiver} while it received the push; ${survivor} survived`);
    // The ReplicaSet replaced the deleted pod, and restore waited for it.
    expect(buildCloudPods()).toHaveLength(2);
    expect(buildCloudPods()).not.toContain(receiver);
    expect(out).toContain("files committed before the failure: 0 of 4, each matching the template's sha256; none partial");
    expect(out).toContain("fixed: the retry through the LoadBalancer completed on anka-build-cloud-7d9c8b6f5-ax0");
  });

  /** A first push that commits `first` as the first file on the shared volume, then dies with the receiving pod. */
  function pushThatCommits(first: (template: SampleTemplate, file: TemplateFile) => Promise<Buffer>): ReproDeps["push"] {
    mkdirSync(join(volume, "anka-lab-probe", ".partial"), { recursive: true });
    const receiver = buildCloudPods()[1]!;
    let attempt = 0;
    return async (options) => {
      if (attempt++ === 0) {
        const file = options.template.files[0]!;
        const dest = join(volume, "anka-lab-probe", "files", options.template.name, file.path);
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, await first(options.template, file));
        writeFileSync(join(volume, "anka-lab-probe", ".partial", `${receiver}-0456.part`), "half");
        await new Promise<void>((resolve) => (cluster.onKubectl = (verb, argv) => verb === "delete" && argv.includes("pod") && resolve()));
        throw new PushError("connection reset mid-transfer: the registry pod went away", true);
      }
      return scriptedPush(() => ({}))!(options);
    };
  }
  const whole = async (template: SampleTemplate, file: TemplateFile) => {
    const parts: Buffer[] = [];
    for await (const chunk of fileStream(template, file)) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  };

  it("counts a file committed whole before the pod went away, by its sha256", async () => {
    expect(await repro({ ...always, push: pushThatCommits(whole) }, "registry-rescheduled")).toBe(0);
    expect(lab.io.stdout.join("\n")).toMatch(/files committed before the failure: 1 of 4, each matching the template's sha256 \(\S+\); none partial/);
  });

  it("fails, naming the file, when a partial file was committed", async () => {
    const truncated = async (template: SampleTemplate, file: TemplateFile) => {
      const body = await whole(template, file);
      return body.subarray(0, Math.floor(body.length / 2));
    };
    expect(await repro({ ...always, push: pushThatCommits(truncated) }, "registry-rescheduled")).toBe(1);
    expect(lab.io.stdout.join("\n")).toMatch(/stopped in act: a partial or corrupt file was committed on \S+: \S+ \(sha256 differs from the template's\)/);
  });
});

describe.skipIf(!available)("lab:repro idle-timeout, through the real proxy to a real probe", () => {
  it("is cut with a short idle timeout and passes with a longer one", async () => {
    expect(await repro({}, "idle-timeout", "--idle-seconds", "1")).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the idle timeout cut the push during its silent phase");
    expect(out).toContain("  idle timeout 1 s, silent phase 1.5 s after each file's body, stall watch 3 s");
    // Each file opens its own connection, and the next one is sent while one waits out its silent
    // phase: the cut meets one or both of them, whichever the proxy reaches first.
    expect(out).toMatch(/\n {2}connections cut: [12]\n/);
    expect(out).toContain("fixed: the push completed through an idle timeout of 3 s");
  }, 60_000);

  it("works at its default of 350 s, played 350 times faster with the push client's stall watch scaled alike", async () => {
    // At the default the silent phase is 525 s, and the push client gives up after 120 s without a
    // byte (its default stall watch). Scale every time by 1/350: idle 1 s, silent 1.5 s, and the
    // client's default stall becomes 120/350 s, so a scenario that leaves the stall watch at its
    // default is stopped by it, not by the idle cutoff, in act and in verify alike.
    const scale = 1 / 350;
    const clientDefaultStallMs = Math.round(120_000 * scale);
    const seen: (number | undefined)[] = [];
    const push = (options: Omit<PushOptions, "signal">) => {
      seen.push(options.stallMs);
      return pushTemplate({ ...options, stallMs: options.stallMs ?? clientDefaultStallMs });
    };
    expect(await repro({ push }, "idle-timeout", "--idle-seconds", String(Math.round(350 * scale)))).toBe(0);
    const out = lab.io.stdout.join("\n");
    expect(out).toContain("reproduced: the idle timeout cut the push during its silent phase");
    expect(out).toContain("fixed: the push completed through an idle timeout of 3 s");
    expect(seen.every((ms) => ms !== undefined && ms > 1500)).toBe(true);
  }, 60_000);
});

describe.skipIf(!available)("lab:repro input", () => {
  it("lists scenarios and refuses unknown names and bad flags without touching the cluster", async () => {
    const before = cluster.runner.calls.length;
    expect(await lab.run(reproSpec, reproCommand, "--list")).toBe(0);
    expect(lab.io.stdout.join("\n").split("\n")).toHaveLength(6);
    expect(await lab.run(reproSpec, reproCommand, "ingress-body-sise")).toBe(2);
    expect(lab.io.stderr.at(-1)).toMatch(/^anka-lab: unknown scenario "ingress-body-sise"; known: etcd-quorum, idle-timeout, ingress-body-size/);
    expect(await lab.run(reproSpec, reproCommand, "idle-timeout", "--idle-seconds", "-3")).toBe(2);
    expect(cluster.runner.calls.length).toBe(before);
  });
});

describe("lab:repro stops and preconditions", () => {
  it("a real SIGINT during act runs the restore, prints where it stopped and exits 130", async () => {
    // No injected signal: the command listens for SIGINT itself, as the CLI does.
    lab.deps = { ...lab.deps, signal: undefined };
    const push: ReproDeps["push"] = async () => {
      process.kill(process.pid, "SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new PushError("interrupted", false);
    };
    expect(await repro({ ...always, push }, "ingress-body-size")).toBe(130);
    expect(lab.io.stderr.at(-1)).toBe("anka-lab: interrupted (Ctrl-C) in act; restore ran; next: npm run lab:repro -- ingress-body-size");
    expect(reproIngress()).toBeUndefined();
    expect(lab.io.stdout.join("\n")).toMatch(/lab restored$/);
  });

  it("says in one line that the lab is not up, and neither breaks nor restores anything", async () => {
    const empty = new FakeCluster();
    const bare = harness(empty, stubs);
    expect(await bare.run(reproSpec, (args, io, d) => reproCommand(args, io, d as ReproDeps), "etcd-quorum")).toBe(1);
    expect(bare.io.stderr).toEqual(["anka-lab: the lab is not up (minikube profile anka-lab: missing); start it with npm run lab:up"]);
    expect(bare.io.stdout).toEqual([]);
    expect(empty.runner.calls.filter(isMutating)).toEqual([]);
  });
});
