import type { LabContext } from "../context.js";
import type { RunResult } from "../exec/types.js";
import { LAB_SELECTOR, PRUNE_SELECTOR } from "../topology/names.js";

/** kubectl against the lab's context (every call names it: the user's current context is never used); namespaced calls add -n. */
export function kubectl(ctx: Pick<LabContext, "kubeContext">, ...args: string[]): string[] {
  return ["kubectl", "--context", ctx.kubeContext, ...args];
}

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
  const result = await ctx.run(kubectl(ctx, "get", ...args, "-o", "json"), { timeoutMs: 30_000 });
  return ((JSON.parse(result.stdout) as { items?: LiveObject[] }).items ?? []);
}

/** One object, or undefined when it does not exist (kubectl exits 1 with NotFound). */
export async function getOne(ctx: LabContext, args: string[]): Promise<LiveObject | undefined> {
  const result = await ctx.run(kubectl(ctx, "get", ...args, "-o", "json"), { allowFailure: true, timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(" ")} failed: ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as LiveObject;
}

// --- used by lab/lifecycle: each names what it reads or changes, so no step builds argv ---

/** Whether the lab namespace exists in the lab's context: lab:down's test for "is anything up". */
export async function namespaceExists(ctx: LabContext): Promise<boolean> {
  const result = await ctx.run(kubectl(ctx, "get", "namespace", ctx.config.namespace, "-o", "name"), { allowFailure: true, timeoutMs: 30_000 });
  return result.exitCode === 0;
}

export const getStorageClass = (ctx: LabContext, name: string) => getOne(ctx, ["storageclass", name]);
export const getStatefulSet = (ctx: LabContext, name: string) => getOne(ctx, ["statefulset", name, "-n", ctx.config.namespace]);
export const getDeployment = (ctx: LabContext, name: string) => getOne(ctx, ["deployment", name, "-n", ctx.config.namespace]);
export const getService = (ctx: LabContext, name: string) => getOne(ctx, ["service", name, "-n", ctx.config.namespace]);
export const getPersistentVolume = (ctx: LabContext, name: string) => getOne(ctx, ["pv", name]);
/** Pods by label in any namespace (the ingress controller lives in ingress-nginx, not the lab's). */
export const listPodsIn = (ctx: LabContext, namespace: string, selector: string) => getList(ctx, ["pods", "-n", namespace, "-l", selector]);
export const listLabClaims = (ctx: LabContext) => getList(ctx, ["pvc", "-n", ctx.config.namespace, "-l", LAB_SELECTOR]);
/** The lab's objects of the kinds it may prune (PRUNE_SELECTOR: the lab's own labels). */
export const listPrunable = (ctx: LabContext) => getList(ctx, [PRUNABLE_RESOURCES.join(","), "-n", ctx.config.namespace, "-l", PRUNE_SELECTOR]);

/**
 * Server-side apply of YAML or JSON on stdin under the lab's field manager. --force-conflicts takes
 * back fields another manager changed (a `kubectl scale`, say) to the applied values
 * (https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts).
 */
export function applyServerSide(ctx: LabContext, input: string, options: { timeoutMs: number; hint?: string }): Promise<RunResult> {
  return ctx.change(kubectl(ctx, "apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts", "-f", "-"), { ...options, input });
}

/** Deletes one object by kind[.group]/name without waiting for its finalizers (a prune). */
export const deleteObject = (ctx: LabContext, ref: string) =>
  ctx.change(kubectl(ctx, "delete", ref, "-n", ctx.config.namespace, "--ignore-not-found", "--wait=false"), { timeoutMs: 60_000 });

/** lab:down: the lab's objects of every kind that holds no data, waiting until they are gone. */
export const deleteLabObjects = (ctx: LabContext) =>
  ctx.change(kubectl(ctx, "delete", "-n", ctx.config.namespace, PRUNABLE_RESOURCES.join(","), "-l", LAB_SELECTOR, "--ignore-not-found", "--wait=true", "--timeout=180s"), {
    timeoutMs: 240_000,
  });

/** --purge: the lab's claims, then its namespace, each waited for. */
export const deleteLabClaims = (ctx: LabContext) =>
  ctx.change(kubectl(ctx, "delete", "-n", ctx.config.namespace, "pvc", "-l", LAB_SELECTOR, "--ignore-not-found", "--wait=true", "--timeout=180s"), { timeoutMs: 240_000 });
export const deleteNamespace = (ctx: LabContext) =>
  ctx.change(kubectl(ctx, "delete", "namespace", ctx.config.namespace, "--ignore-not-found", "--wait=true", "--timeout=180s"), { timeoutMs: 240_000 });
export const deletePersistentVolume = (ctx: LabContext, name: string) =>
  ctx.change(kubectl(ctx, "delete", "pv", name, "--ignore-not-found", "--wait=true", "--timeout=60s"), { timeoutMs: 90_000 });

/** A kubernetes.io/tls Secret as kubectl makes it from PEM files (kubectl create secret tls), not applied. */
export async function tlsSecretObject(ctx: LabContext, name: string, files: { cert: string; key: string }): Promise<{ metadata: Record<string, unknown> }> {
  const result = await ctx.run(
    kubectl(ctx, "create", "secret", "tls", name, "-n", ctx.config.namespace, `--cert=${files.cert}`, `--key=${files.key}`, "--dry-run=client", "-o", "json"),
    { timeoutMs: 30_000 },
  );
  return JSON.parse(result.stdout) as { metadata: Record<string, unknown> };
}

/** The namespace a kubeconfig context defaults to; undefined when the context does not exist. */
export async function contextNamespace(ctx: LabContext): Promise<{ exists: boolean; namespace?: string }> {
  const view = await ctx.run(["kubectl", "config", "view", "-o", "json"], { timeoutMs: 30_000 });
  const contexts = (JSON.parse(view.stdout) as { contexts?: { name: string; context?: { namespace?: string } }[] | null }).contexts ?? [];
  const found = contexts.find((c) => c.name === ctx.kubeContext);
  return found ? { exists: true, namespace: found.context?.namespace } : { exists: false };
}

/** Makes the lab namespace the context's default, for people using kubectl by hand. */
export const setContextNamespace = (ctx: LabContext) => ctx.change(["kubectl", "config", "set-context", ctx.kubeContext, `--namespace=${ctx.config.namespace}`]);

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

// --- reads used by lab/checks and lab/diagnose.ts ---

// The pods behind a selector and the lab's StatefulSet and Deployment are read with listPodsIn,
// getStatefulSet and getDeployment above.

/** What the lab reads of a core/v1 Event (k8s.io/api core/v1 types.go Event: type Normal|Warning, reason, message). */
export interface PodEvent {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * A pod's events, as the API server lists them: `kubectl get events -n NS --field-selector
 * involvedObject.name=POD -o json` (Events are selectable by involvedObject.name: kubernetes
 * pkg/apis/core/v1/conversion.go, the Event field label conversion).
 */
export async function podEvents(ctx: LabContext, namespace: string, pod: string): Promise<PodEvent[]> {
  return (await getList(ctx, ["events", "-n", namespace, "--field-selector", `involvedObject.name=${pod}`])) as PodEvent[];
}

/**
 * The last lines a container printed: `kubectl logs -n NS POD -c CONTAINER --tail=N`
 * (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_logs/). When kubectl cannot show
 * them (the container never started, the pod is gone) its own complaint stands in, which says why.
 */
export async function podLogTail(ctx: LabContext, namespace: string, pod: string, container: string, lines = 10): Promise<string[]> {
  const result = await ctx.run(kubectl(ctx, "logs", "-n", namespace, pod, "-c", container, `--tail=${lines}`), { allowFailure: true, timeoutMs: 20_000 });
  const text = (result.exitCode === 0 ? result.stdout : result.stderr).trimEnd();
  return text ? text.split("\n") : [];
}

/**
 * The version of the kubectl on PATH, asking no server: `kubectl version --client -o json` prints
 * {"clientVersion":{"gitVersion":"v1.32.4",…},"kustomizeVersion":…} (kubernetes staging/src/k8s.io/kubectl/pkg/cmd/version/version.go).
 * Names no context: on the minikube path the profile's context may not exist yet.
 */
export async function kubectlClientVersion(runner: LabContext["runner"]): Promise<string> {
  const result = await runner.run(["kubectl", "version", "--client", "-o", "json"], { timeoutMs: 30_000 });
  return (JSON.parse(result.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}

/** kubectl's version and, when the context's API server answers, the server's. */
export interface KubectlVersions {
  readonly client?: string;
  readonly server?: string;
  readonly exitCode: number;
  readonly stderr: string;
}

/**
 * `kubectl --context C version -o json` reports serverVersion beside clientVersion; it exits 1, with
 * clientVersion only, when the server cannot be reached (same version.go).
 */
export async function kubectlVersions(ctx: LabContext): Promise<KubectlVersions> {
  const result = await ctx.run(kubectl(ctx, "version", "-o", "json"), { allowFailure: true, timeoutMs: 30_000 });
  let parsed: { clientVersion?: { gitVersion?: string }; serverVersion?: { gitVersion?: string } } = {};
  try {
    parsed = JSON.parse(result.stdout || "{}");
  } catch {
    // No JSON: neither version is known.
  }
  return { client: parsed.clientVersion?.gitVersion, server: parsed.serverVersion?.gitVersion, exitCode: result.exitCode, stderr: result.stderr };
}

// --- used by lab/repro and lab/etcd ---
// Every kubectl argv lab/repro and lab/etcd run is built here or in the lifecycle block above
// (getStatefulSet, listPodsIn, applyServerSide), so they call names, not argv (issue #13). Flags as
// kubectl documents them (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_<verb>/;
// checked with `kubectl <verb> --help`). Namespaced calls name the lab's namespace unless they say
// otherwise; changes go through ctx.change, so --dry-run records them.

/** The pod `name` in the lab's namespace; undefined when it does not exist. */
export function getPod(ctx: LabContext, name: string): Promise<LiveObject | undefined> {
  return getOne(ctx, ["pod", name, "-n", ctx.config.namespace]);
}

/**
 * The argv of `kubectl get secret <name> -o json` in the lab's namespace, for a caller that judges
 * kubectl's answer itself (lab/transfer/probeToken.ts takes any failure for "no Secret yet").
 */
export function getSecretArgv(ctx: LabContext, name: string): string[] {
  return kubectl(ctx, "get", "secret", name, "-n", ctx.config.namespace, "-o", "json");
}

/**
 * applyServerSide under a field manager of the caller's own (the repro Ingress's): server-side apply
 * of the documents in `input` (stdin, `-f -`), taking over fields another manager set
 * (--force-conflicts), https://kubernetes.io/docs/reference/using-api/server-side-apply/ ("Conflicts").
 * What a later apply of the same manager leaves out, it removes; other managers' fields stay.
 */
export async function applyServerSideAs(ctx: LabContext, fieldManager: string, input: string): Promise<void> {
  await ctx.change(kubectl(ctx, "apply", "--server-side", `--field-manager=${fieldManager}`, "--force-conflicts", "-f", "-"), { input, timeoutMs: 60_000 });
}

/** `kubectl scale statefulset <name> --replicas=N`: the StatefulSet controller then adds or stops pods from the highest ordinal. */
export async function scaleStatefulSet(ctx: LabContext, name: string, replicas: number): Promise<void> {
  await ctx.change(kubectl(ctx, "scale", "statefulset", name, "-n", ctx.config.namespace, `--replicas=${replicas}`), { timeoutMs: 60_000 });
}

/**
 * Sets keys of a ConfigMap's data with a JSON merge patch (RFC 7386; `--type merge`,
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/): the
 * keys named change, the others stay.
 */
export async function mergePatchConfigMapData(ctx: LabContext, name: string, data: Record<string, string>): Promise<void> {
  await ctx.change(kubectl(ctx, "patch", "configmap", name, "-n", ctx.config.namespace, "--type", "merge", "-p", JSON.stringify({ data })), { timeoutMs: 30_000 });
}

/** Deletes a pod and returns once the API server took the deletion (`--wait=false`); its controller makes a new one. */
export async function deletePodNoWait(ctx: LabContext, name: string): Promise<void> {
  await ctx.change(kubectl(ctx, "delete", "pod", name, "-n", ctx.config.namespace, "--wait=false"), { timeoutMs: 60_000 });
}

/** Deletes a PersistentVolumeClaim and waits until it is gone (delete's default `--wait=true`); one already gone is fine. */
export async function deleteClaim(ctx: LabContext, name: string): Promise<void> {
  await ctx.change(kubectl(ctx, "delete", "pvc", name, "-n", ctx.config.namespace, "--ignore-not-found"), { timeoutMs: 120_000 });
}

/** Deletes an Ingress; one already gone is fine. */
export async function deleteIngress(ctx: LabContext, name: string): Promise<void> {
  await ctx.change(kubectl(ctx, "delete", "ingress", name, "-n", ctx.config.namespace, "--ignore-not-found"), { timeoutMs: 60_000 });
}

/**
 * The last `tail` lines a container of a pod in the lab's namespace logged, in its current run or,
 * with `previous`, the run before (`kubectl logs -c --tail --previous`); undefined when kubectl has
 * none to give (no such pod, no previous run).
 */
export async function containerLogs(ctx: LabContext, pod: string, container: string, options: { tail: number; previous?: boolean }): Promise<string | undefined> {
  const argv = kubectl(ctx, "logs", "-n", ctx.config.namespace, pod, "-c", container, `--tail=${options.tail}`, ...(options.previous ? ["--previous"] : []));
  const result = await ctx.run(argv, { allowFailure: true, timeoutMs: 30_000 });
  return result.exitCode === 0 ? result.stdout : undefined;
}

/**
 * The argv of `kubectl exec` running `command` (argv, after `--`) in a pod's container, or in the
 * pod's default container when `container` is undefined (kubectl exec -c).
 */
export function execArgv(ctx: LabContext, namespace: string, pod: string, container: string | undefined, command: readonly string[]): string[] {
  return kubectl(ctx, "exec", "-n", namespace, pod, ...(container ? ["-c", container] : []), "--", ...command);
}
