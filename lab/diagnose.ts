import type { LabContext } from "./context.js";
import { getList, summarizePod, type LiveObject } from "./tools/kubectl.js";
import { LabError } from "./errors.js";

/** What went wrong with some pods: readable lines, then the likely cause and what to do. */
export interface Diagnosis {
  readonly lines: string[];
  readonly causes: string[];
}

/**
 * Known failure signatures, matched against pod state, events and logs. Sources: amd64 emulation
 * broken in minikube v1.38.0 and fixed in v1.38.1 by masking systemd-binfmt in kicbase
 * (kubernetes/minikube#22621); `minikube image load` (https://minikube.sigs.k8s.io/docs/handbook/pushing/);
 * the storage addons (kubernetes/minikube deploy/addons/storageclass/storageclass.yaml,
 * pkg/storage/storage_provisioner.go; https://minikube.sigs.k8s.io/docs/handbook/persistent_volumes/).
 */
function likelyCauses(ctx: LabContext, text: string, loadBalancerPending: boolean): string[] {
  const causes: string[] = [];
  const p = ctx.config.profile;
  if (/exec format error/i.test(text))
    causes.push(
      "amd64 emulation: an amd64-only image ran on an arm64 node without emulation. Turn on Rosetta (or QEMU) " +
        "emulation in Docker Desktop's settings, and avoid minikube v1.38.0 (it broke the binfmt handlers; fixed in v1.38.1).",
    );
  if (/no matching manifest for linux\/arm64|no match for platform in manifest/i.test(text))
    causes.push(
      `amd64-only image on an arm64 node: docker pull --platform linux/amd64 IMAGE && minikube -p ${p} image load IMAGE, then npm run lab:up again.`,
    );
  if (/ErrImagePull|ImagePullBackOff|toomanyrequests|pull rate limit/i.test(text))
    causes.push(
      `image pull from Docker Hub failed (rate limit, network or a wrong tag): docker pull IMAGE on the Mac, then minikube -p ${p} image load IMAGE.`,
    );
  if (/unbound immediate PersistentVolumeClaims|persistentvolumeclaim .* not found|waiting for a volume to be created|Pending.*PersistentVolumeClaim/i.test(text))
    causes.push(
      `pending volume claim: the StorageClass ${ctx.config.registry.storageClass} has no working provisioner. ` +
        // `addons enable` takes exactly one addon (minikube cmd/minikube/cmd/config/enable.go:
        // `if len(args) != 1 { exit.Message(reason.Usage, "usage: minikube addons enable ADDON_NAME") }`).
        `minikube -p ${p} addons enable storage-provisioner && minikube -p ${p} addons enable default-storageclass, or set registry.storageClass.`,
    );
  if (/Insufficient (cpu|memory)/i.test(text))
    causes.push(`not enough CPU or memory on the node: raise minikube.cpus / minikube.memory and recreate the cluster (npm run lab:down -- --delete-cluster).`);
  if (/OOMKilled/.test(text)) causes.push("a container was OOMKilled: it hit its memory limit (the registry must have none).");
  if (/CrashLoopBackOff/.test(text) && causes.length === 0) causes.push("a container keeps crashing: its last log lines above say why.");
  if (loadBalancerPending)
    causes.push(`tunnel not running: LoadBalancers get no address without minikube tunnel, and a stale one (alive across a Docker Desktop restart) forwards nothing. npm run lab:status says which; npm run lab:up restarts it; its log is .lab/tunnel.log.`);
  return causes;
}

async function eventsFor(ctx: LabContext, namespace: string, pod: string): Promise<string[]> {
  try {
    const events = await getList(ctx, ["events", "-n", namespace, "--field-selector", `involvedObject.name=${pod}`]);
    return events
      .slice(-5)
      .map((e: any) => `${e.type ?? ""} ${e.reason ?? ""}: ${String(e.message ?? "").trim()}`.trim());
  } catch {
    return [];
  }
}

async function logTail(ctx: LabContext, namespace: string, pod: string, container: string): Promise<string[]> {
  const result = await ctx.run(ctx.kubectl("logs", "-n", namespace, pod, "-c", container, "--tail=10"), {
    allowFailure: true,
    timeoutMs: 20_000,
  });
  const text = (result.exitCode === 0 ? result.stdout : result.stderr).trimEnd();
  return text ? text.split("\n") : [];
}

/** Looks at the pods behind a selector and says what state they are in and why. */
export async function diagnosePods(
  ctx: LabContext,
  selector: string,
  extra: { loadBalancerPending?: boolean; namespace?: string } = {},
): Promise<Diagnosis> {
  const namespace = extra.namespace ?? ctx.config.namespace;
  const lines: string[] = [];
  let pods: LiveObject[] = [];
  try {
    pods = await getList(ctx, ["pods", "-n", namespace, "-l", selector]);
  } catch (error) {
    lines.push(`could not list pods (${selector}): ${(error as Error).message.split("\n")[0]}`);
  }
  if (pods.length === 0 && lines.length === 0) lines.push(`no pods match ${selector} in namespace ${namespace}`);
  for (const pod of pods) {
    const summary = summarizePod(pod);
    lines.push(`pod ${summary.name}: ${summary.phase}, ${summary.ready ? "ready" : "not ready"}, ${summary.restarts} restart(s)`);
    for (const c of (pod.status?.conditions ?? []) as any[])
      if (c.status !== "True") lines.push(`  condition ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`);
    for (const w of summary.waiting) lines.push(`  container ${w}`);
    for (const e of await eventsFor(ctx, namespace, summary.name)) lines.push(`  event ${e}`);
    const failing = ((pod.status?.containerStatuses ?? []) as any[]).filter((s) => !s.ready);
    for (const s of failing) {
      const tail = await logTail(ctx, namespace, summary.name, s.name);
      if (tail.length) lines.push(`  last log lines of ${s.name}:`, ...tail.map((l) => `    ${l}`));
    }
  }
  return { lines, causes: likelyCauses(ctx, lines.join("\n"), extra.loadBalancerPending ?? false) };
}

/** The error a failed wait raises: what it waited for, the diagnosis, the likely cause, the next step. */
export class DiagnosedError extends LabError {
  override name = "DiagnosedError";
  constructor(
    message: string,
    readonly diagnosis: Diagnosis,
    hint: string,
  ) {
    super(
      [
        message,
        ...diagnosis.lines.map((l) => `  ${l}`),
        ...(diagnosis.causes.length ? ["likely cause:", ...diagnosis.causes.map((c) => `  - ${c}`)] : []),
      ].join("\n"),
      { hint },
    );
  }
}
