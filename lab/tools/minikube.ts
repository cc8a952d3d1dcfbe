import type { LabConfig } from "../config/schema.js";
import { sizeToBytes } from "../config/size.js";
import type { LabContext } from "../context.js";
import type { RunResult, Runner } from "../exec/types.js";
import { dockerAnswers, dockerInfo } from "./docker.js";

/**
 * minikube facts used here are checked against minikube v1.38.1; each names its source in
 * kubernetes/minikube (paths at tag v1.38.1) or on https://minikube.sigs.k8s.io/docs/.
 */

/** Exit code of `minikube status` and friends for a profile that does not exist (ExGuestNotFound, kubernetes/minikube pkg/minikube/reason/exitcodes.go). */
export const EXIT_PROFILE_MISSING = 85;

export type ClusterState =
  | { kind: "missing" }
  | { kind: "running" }
  | { kind: "stopped" }
  | { kind: "docker down"; detail: string }
  | { kind: "broken"; detail: string };

interface NodeStatus {
  Name: string;
  Host: string;
  Kubelet: string;
  APIServer: string;
  Kubeconfig: string;
  Worker?: boolean;
}

/**
 * Reads `minikube status -p P -o json`: an object for one node, an array for several; exit 0 when
 * running, bits 1/2/4 for host, kubelet/apiserver and kubeconfig trouble, 85 for no profile
 * (minikube cmd/minikube/cmd/status.go statusJSON and exitCode; pkg/minikube/mustload/mustload.go
 * Partial). A `null` body with exit 7 means no node status could be read (pkg/minikube/cluster/
 * status.go GetStatus returns an error, status.go marshals the nil slice): the node container is
 * gone, or Docker itself does not answer. `docker info` tells the two apart.
 */
export async function clusterState(runner: Runner, profile: string): Promise<ClusterState> {
  const result = await runner.run(["minikube", "status", "-p", profile, "-o", "json"], { allowFailure: true, timeoutMs: 60_000 });
  if (result.exitCode === EXIT_PROFILE_MISSING) return { kind: "missing" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    return { kind: "broken", detail: `minikube status printed no JSON (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().slice(0, 200)}` };
  }
  if (parsed === null) {
    // No docker binary at all counts as Docker not answering.
    const docker = await dockerInfo(runner).catch(() => undefined);
    if (!docker || !dockerAnswers(docker))
      return { kind: "docker down", detail: "Docker is not running, so minikube cannot see the node: start Docker Desktop (open -a Docker)" };
    return { kind: "broken", detail: "the profile exists but its node container is gone" };
  }
  const nodes = (Array.isArray(parsed) ? parsed : [parsed]) as NodeStatus[];
  const control = nodes.find((n) => !n.Worker) ?? nodes[0]!;
  if (result.exitCode === 0 && nodes.every((n) => n.Host === "Running" && n.Kubelet === "Running")) return { kind: "running" };
  if (nodes.every((n) => n.Host === "Stopped")) return { kind: "stopped" };
  return {
    kind: "broken",
    detail: `host ${control.Host}, kubelet ${control.Kubelet}, apiserver ${control.APIServer}, kubeconfig ${control.Kubeconfig}`,
  };
}

/** The settings `minikube profile list -o json` reports for a profile (kubernetes/minikube cmd/minikube/cmd/config/profile_list.go, pkg/minikube/config/types.go). */
interface ProfileConfig {
  Driver?: string;
  CPUs?: number;
  Memory?: number;
  ExposedPorts?: string[] | null;
  KubernetesConfig?: { KubernetesVersion?: string; ContainerRuntime?: string };
}

/**
 * The profile's saved settings. `--light` skips the status of every profile (minikube
 * cmd/minikube/cmd/config/profile_list.go: `--light/-l`, updateProfilesStatus sets "Skipped"); without
 * it any other profile with no control plane makes the whole list exit non-zero (profileStatus:
 * exit.Message(reason.GuestCpConfig, …)) and a slow machine spends seconds per profile.
 */
export async function profileConfig(runner: Runner, profile: string): Promise<ProfileConfig | undefined> {
  const result = await runner.run(["minikube", "profile", "list", "-o", "json", "--light"], { allowFailure: true, timeoutMs: 60_000 });
  if (result.exitCode !== 0) return undefined;
  const list = JSON.parse(result.stdout) as { valid?: { Name: string; Config?: ProfileConfig }[] };
  return list.valid?.find((p) => p.Name === profile)?.Config;
}

export const memoryMegabytes = (config: LabConfig) => Math.floor(sizeToBytes(config.minikube.memory) / 2 ** 20);
const diskMegabytes = (config: LabConfig) => Math.floor(sizeToBytes(config.minikube.diskSize) / 2 ** 20);
const withV = (version: string) => (version.startsWith("v") ? version : `v${version}`);

/** The ingress's host port mapping, passed verbatim to `docker run -p`: 127.0.0.1 keeps it off the LAN (kubernetes/minikube cmd/minikube/cmd/start_flags.go --ports; each value becomes `-p` in pkg/minikube/registry/drvs/docker/docker.go). */
export const ingressPortMapping = (config: LabConfig) => `127.0.0.1:${config.ingress.port}:80`;

/**
 * argv for creating the lab's cluster. Every setting is explicit, because minikube otherwise takes
 * them from MINIKUBE_* variables or `minikube config` (viper.SetEnvPrefix in kubernetes/minikube
 * cmd/minikube/cmd/root.go); the container runtime is pinned since v1.39 moves the default to
 * containerd (DefaultContainerRuntimeChangeWarning in pkg/minikube/constants/constants.go,
 * kubernetes/minikube#21973), which refuses amd64-only images on Apple Silicon (containerd filters out
 * images of another platform, kubernetes-sigs/kind#2864).
 * --keep-context leaves the user's current kube context alone: the lab names its context everywhere.
 */
export function startArgv(config: LabConfig): string[] {
  return [
    "minikube",
    "start",
    "-p",
    config.profile,
    `--driver=${config.minikube.driver}`,
    `--cpus=${config.minikube.cpus}`,
    // <n>[b|k|m|g], m = MiB (kubernetes/minikube cmd/minikube/cmd/start_flags.go --memory; pkg/util/utils.go CalculateSizeInMB parses binary units).
    `--memory=${memoryMegabytes(config)}m`,
    `--disk-size=${diskMegabytes(config)}mb`,
    `--kubernetes-version=${withV(config.minikube.kubernetesVersion)}`,
    `--container-runtime=${config.minikube.containerRuntime}`,
    `--ports=${ingressPortMapping(config)}`,
    "--keep-context",
  ];
}

/** Settings of an existing profile that differ from the config, one line each. */
export function profileDrift(config: LabConfig, actual: ProfileConfig): string[] {
  const drift: string[] = [];
  const compare = (what: string, have: unknown, want: unknown) => {
    if (have !== undefined && have !== want) drift.push(`${what}: profile has ${String(have)}, config wants ${String(want)}`);
  };
  compare("driver", actual.Driver, config.minikube.driver);
  compare("cpus", actual.CPUs, config.minikube.cpus);
  compare("memory (MB)", actual.Memory, memoryMegabytes(config));
  compare("kubernetes version", actual.KubernetesConfig?.KubernetesVersion, withV(config.minikube.kubernetesVersion));
  compare("container runtime", actual.KubernetesConfig?.ContainerRuntime, config.minikube.containerRuntime);
  const ports = actual.ExposedPorts ?? [];
  if (!ports.includes(ingressPortMapping(config)))
    drift.push(`ingress port: profile publishes ${ports.length ? ports.join(",") : "no ports"}, config wants ${ingressPortMapping(config)}`);
  return drift;
}

// --- used by lab/lifecycle: minikube's changes, each named ---

/**
 * `minikube start` with every setting explicit (startArgv). Its output goes to `log` as it comes,
 * and each line to onLine, so the task line shows where a start of several minutes is.
 */
export function startProfile(ctx: LabContext, log: string, onLine: (line: string) => void): Promise<RunResult> {
  return ctx.change(startArgv(ctx.config), {
    timeoutMs: 20 * 60_000,
    hint: `see ${log} and minikube logs -p ${ctx.config.profile}; to start over: npm run lab:down -- --delete-cluster --purge`,
    log: { file: log, onLine },
  });
}

/** `minikube addons enable ADDON -p P`: one addon per call (the command takes one name). */
export const enableAddon = (ctx: LabContext, addon: string, options: { timeoutMs: number; hint?: string }) =>
  ctx.change(["minikube", "addons", "enable", addon, "-p", ctx.config.profile], options);

/** `minikube delete` removes the node container and its volume (kubernetes/minikube cmd/minikube/cmd/delete.go), the lab's data included. */
export const deleteProfile = (ctx: LabContext) => ctx.change(["minikube", "delete", "-p", ctx.config.profile], { timeoutMs: 300_000 });

/**
 * `minikube ssh -p P -- cmd` runs cmd on the node as user docker, which has sudo; a remote failure
 * exits 1 (kubernetes/minikube cmd/minikube/cmd/ssh.go: os.Exit(1) on any CreateSSHShell error).
 */
const onNode = (ctx: LabContext, ...command: string[]) => ["minikube", "ssh", "-p", ctx.config.profile, "--", "sudo", ...command];

/** Deletes a directory on the node (a hostpath volume the provisioner left behind). */
export const removeOnNode = (ctx: LabContext, path: string) => ctx.change(onNode(ctx, "rm", "-rf", path), { timeoutMs: 60_000 });

/** Whether a path still exists on the node. */
export async function existsOnNode(ctx: LabContext, path: string): Promise<boolean> {
  const check = await ctx.run(onNode(ctx, "test", "-e", path), { allowFailure: true, timeoutMs: 60_000 });
  return check.exitCode === 0;
}

/** How the --dry-run plan names the node directories a purge removes, before any exist. */
export const removeOnNodePlanned = (ctx: LabContext, pattern: string) => `${onNode(ctx, "rm", "-rf", pattern).join(" ")}   (each lab volume's directory on the node; then checked gone)`;

/** Whether an addon is enabled, from `minikube addons list -p P -o json` (kubernetes/minikube cmd/minikube/cmd/config/addons_list.go). */
export async function addonEnabled(runner: Runner, profile: string, addon: string): Promise<boolean> {
  const result = await runner.run(["minikube", "addons", "list", "-p", profile, "-o", "json"], { timeoutMs: 60_000 });
  const addons = JSON.parse(result.stdout) as Record<string, { Status?: string }>;
  return addons[addon]?.Status === "enabled";
}

/** `minikube version -o json` prints {"commit":…,"minikubeVersion":"v1.38.1"} (tilt-dev/ctlptl admin_minikube.go). */
export async function minikubeVersion(runner: Runner): Promise<string> {
  const result = await runner.run(["minikube", "version", "-o", "json"], { timeoutMs: 30_000 });
  return (JSON.parse(result.stdout) as { minikubeVersion: string }).minikubeVersion;
}
