import type { LabConfig } from "./config/schema.js";
import type { LabContext } from "./context.js";
import { listPodsIn, podEvents, podLogTail, summarizePod, type LiveObject, type PodEvent } from "./tools/kubectl.js";
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
function likelyCauses(config: LabConfig, text: string, loadBalancerPending: boolean): string[] {
  const causes: string[] = [];
  const p = config.profile;
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
      `pending volume claim: the StorageClass ${config.registry.storageClass} has no working provisioner. ` +
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

/** What was read about one pod: the object, its events (or why they could not be read), the last log lines of each container not ready. */
export interface PodReading {
  readonly pod: LiveObject;
  readonly events: readonly PodEvent[] | { readonly error: string };
  readonly logs: ReadonlyMap<string, readonly string[]>;
}

/** What was read about the pods behind a selector; `listError` when they could not be listed. */
export interface PodsReading {
  readonly selector: string;
  readonly namespace: string;
  readonly pods: readonly PodReading[];
  readonly listError?: string;
}

/** The containers whose logs are worth reading: those not ready (k8s.io/api core/v1 ContainerStatus.ready). */
export function unreadyContainers(pod: LiveObject): string[] {
  return ((pod.status?.containerStatuses ?? []) as { name: string; ready?: boolean }[]).filter((s) => !s.ready).map((s) => s.name);
}

const firstLine = (error: unknown) => (error as Error).message.split("\n")[0]!;

/** What the pods say, from what was read: their state, conditions not met, waiting containers, last events and log lines, and the likely causes. */
export function diagnose(config: LabConfig, reading: PodsReading, loadBalancerPending = false): Diagnosis {
  const lines: string[] = [];
  if (reading.listError !== undefined) lines.push(`could not list pods (${reading.selector}): ${reading.listError}`);
  else if (reading.pods.length === 0) lines.push(`no pods match ${reading.selector} in namespace ${reading.namespace}`);
  for (const { pod, events, logs } of reading.pods) {
    const summary = summarizePod(pod);
    lines.push(`pod ${summary.name}: ${summary.phase}, ${summary.ready ? "ready" : "not ready"}, ${summary.restarts} restart(s)`);
    for (const c of (pod.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[])
      if (c.status !== "True") lines.push(`  condition ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`);
    for (const w of summary.waiting) lines.push(`  container ${w}`);
    if ("error" in events) lines.push(`  events could not be read: ${events.error}`);
    else for (const e of events.slice(-5)) lines.push(`  event ${`${e.type ?? ""} ${e.reason ?? ""}: ${String(e.message ?? "").trim()}`.trim()}`);
    for (const [container, tail] of logs) if (tail.length) lines.push(`  last log lines of ${container}:`, ...tail.map((l) => `    ${l}`));
  }
  return { lines, causes: likelyCauses(config, lines.join("\n"), loadBalancerPending) };
}

/** Reads the pods behind a selector, with their events and the logs of containers not ready, and says what state they are in and why. */
export async function diagnosePods(
  ctx: LabContext,
  selector: string,
  extra: { loadBalancerPending?: boolean; namespace?: string } = {},
): Promise<Diagnosis> {
  const namespace = extra.namespace ?? ctx.config.namespace;
  let pods: LiveObject[] = [];
  let listError: string | undefined;
  try {
    pods = await listPodsIn(ctx, namespace, selector);
  } catch (error) {
    listError = firstLine(error);
  }
  const readings: PodReading[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name;
    const events = await podEvents(ctx, namespace, name).catch((error: unknown) => ({ error: firstLine(error) }));
    const logs = new Map<string, string[]>();
    for (const container of unreadyContainers(pod)) logs.set(container, await podLogTail(ctx, namespace, name, container));
    readings.push({ pod, events, logs });
  }
  return diagnose(ctx.config, { selector, namespace, pods: readings, listError }, extra.loadBalancerPending ?? false);
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
