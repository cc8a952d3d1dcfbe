import type { LabContext } from "../context.js";

/**
 * The resources the lab prunes and lab:down removes: never Namespace or PersistentVolumeClaim, which
 * hold lab data. Fully qualified (<plural>.<group>), so another API group's kind of the same name
 * is never matched (kubectl get's resource argument).
 */
export const PRUNABLE_RESOURCES = [
  "services",
  "configmaps",
  "statefulsets.apps",
  "deployments.apps",
  "ingresses.networking.k8s.io",
  "poddisruptionbudgets.policy",
];

export const FIELD_MANAGER = "anka-lab";

/** A Kubernetes object as `kubectl get -o json` prints it; only what the lab reads. */
export interface LiveObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; managedFields?: any[] };
  spec?: any;
  status?: any;
}

/** `kubectl get … -o json` of a list; a missing namespace or kind yields no items. */
export async function getList(ctx: LabContext, args: string[]): Promise<LiveObject[]> {
  const result = await ctx.run(ctx.kubectl("get", ...args, "-o", "json"), { timeoutMs: 30_000 });
  return ((JSON.parse(result.stdout) as { items?: LiveObject[] }).items ?? []);
}

/** One object, or undefined when it does not exist (kubectl exits 1 with NotFound). */
export async function getOne(ctx: LabContext, args: string[]): Promise<LiveObject | undefined> {
  const result = await ctx.run(ctx.kubectl("get", ...args, "-o", "json"), { allowFailure: true, timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(" ")} failed: ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as LiveObject;
}

export interface PodSummary {
  readonly name: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** Why a container is not running: ImagePullBackOff, CrashLoopBackOff, OOMKilled... */
  readonly waiting: string[];
}

export function summarizePod(pod: LiveObject): PodSummary {
  const statuses: any[] = pod.status?.containerStatuses ?? [];
  const conditions: any[] = pod.status?.conditions ?? [];
  return {
    name: pod.metadata.name,
    phase: pod.status?.phase ?? "Unknown",
    ready: conditions.some((c) => c.type === "Ready" && c.status === "True"),
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    // A container that keeps dying shows CrashLoopBackOff as its state and why it died last
    // (OOMKilled, Error with its exit code) only in lastState.terminated: both are named.
    waiting: statuses.flatMap((s) => {
      const waiting = s.state?.waiting;
      const last = s.lastState?.terminated;
      const lastText = last?.reason ? `last exit ${last.reason}${last.exitCode !== undefined ? ` (code ${last.exitCode})` : ""}` : "";
      if (waiting?.reason)
        return [`${s.name}: ${waiting.reason}${waiting.message ? ` (${String(waiting.message).slice(0, 160)})` : ""}${lastText ? `; ${lastText}` : ""}`];
      return lastText ? [`${s.name}: ${lastText}`] : [];
    }),
  };
}
