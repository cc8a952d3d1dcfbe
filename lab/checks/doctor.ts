import { statfs } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir } from "node:os";
import type { LabContext } from "../context.js";
import { formatBytes, sizeToBytes } from "../config/size.js";
import { CommandError } from "../exec/types.js";
import { describeShadows, hostsResolved, hostsShadows, labHostnames } from "../tools/hostsFile.js";
import { kubectlClientVersion, kubectlVersions } from "../tools/kubectl.js";
import { clusterState, minikubeVersion, memoryMegabytes } from "../tools/minikube.js";
import { dockerAnswers, dockerInfo, type DockerInfo } from "../tools/docker.js";
import { sudoAsksPassword } from "../tools/sudo.js";
import { failures, runChecks, type Check, type Row, type RowKind } from "./rows.js";

export type CheckStatus = "pass" | "warn" | "fail";

/** One doctor line: fail means lab:up cannot work until the fix is done. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/** The first minikube without the v1.38.0 binfmt regression on Apple Silicon (minikube #22626, #22621). */
export const MIN_MINIKUBE = "1.38.1";

export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function versionAtLeast(have: string, want: string): boolean {
  const a = parseVersion(have);
  const b = parseVersion(want)!;
  if (!a) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** kubectl supports one minor version of skew either side of the API server (kubernetes.io version-skew-policy). */
export function minKubectlFor(kubernetesVersion: string): string {
  const [major, minor] = parseVersion(kubernetesVersion)!;
  return `${major}.${minor - 1}.0`;
}

function missing(error: unknown): boolean {
  return error instanceof CommandError && error.result.exitCode === 127;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Host facts the doctor reads without a tool; injectable so tests can pose as a Mac. */
export interface HostFacts {
  readonly os: NodeJS.Platform;
  readonly arch: string;
  freeDiskBytes(): Promise<number>;
  portFree(port: number): Promise<boolean>;
}

export const realHostFacts: HostFacts = {
  os: process.platform,
  arch: process.arch,
  async freeDiskBytes() {
    const stats = await statfs(homedir());
    return stats.bavail * stats.bsize;
  },
  portFree,
};

async function platformCheck(facts: HostFacts): Promise<CheckResult> {
  if (facts.os === "darwin" && facts.arch === "arm64")
    return {
      name: "platform",
      status: "warn",
      detail: "macOS on Apple Silicon: the Anka images are amd64-only and run emulated",
      fix: `turn on Rosetta emulation in Docker Desktop (Settings > General) and use minikube ${MIN_MINIKUBE} or newer, never v1.38.0`,
    };
  if (facts.os === "darwin") return { name: "platform", status: "pass", detail: `macOS ${facts.arch}` };
  return {
    name: "platform",
    status: "warn",
    detail: `${facts.os} ${facts.arch}: the lab is built for macOS; elsewhere minikube tunnel routes through sudo`,
    fix: "use a Mac, or --context NAME with an existing cluster",
  };
}

async function minikubeCheck(ctx: LabContext): Promise<CheckResult> {
  try {
    const version = await minikubeVersion(ctx.runner);
    if (!versionAtLeast(version, MIN_MINIKUBE))
      return { name: "minikube", status: "fail", detail: `minikube ${version} is older than ${MIN_MINIKUBE}`, fix: "brew upgrade minikube" };
    return { name: "minikube", status: "pass", detail: `minikube ${version}` };
  } catch (error) {
    if (missing(error)) return { name: "minikube", status: "fail", detail: "minikube is not installed", fix: "brew install minikube (or brew bundle in this repo)" };
    return { name: "minikube", status: "fail", detail: `minikube version failed: ${(error as Error).message.split("\n")[0]}`, fix: "reinstall minikube: brew reinstall minikube" };
  }
}

/** Whether a kubectl client is within kubectl's supported skew of a server: one minor older or newer. */
export function kubectlSkewOk(client: string, server: string): boolean {
  const c = parseVersion(client);
  const s = parseVersion(server);
  return c !== undefined && s !== undefined && c[0] === s[0] && Math.abs(c[1] - s[1]) <= 1;
}

/**
 * kubectl against the Kubernetes it will talk to. On minikube that is the pinned
 * minikube.kubernetesVersion; with --context it is the context's API server, which `kubectl version
 * -o json` reports as serverVersion beside clientVersion (it exits 1, with clientVersion only, when
 * the server cannot be reached). kubectl is supported within one minor version, older or newer, of
 * kube-apiserver (https://kubernetes.io/releases/version-skew-policy/#kubectl).
 */
async function kubectlCheck(ctx: LabContext): Promise<CheckResult> {
  try {
    if (!ctx.usesMinikube) {
      const versions = await kubectlVersions(ctx);
      const client = versions.client ?? "unknown";
      const server = versions.server;
      if (!server)
        return {
          name: "kubectl",
          status: "fail",
          detail: `kubectl ${client} cannot reach context ${ctx.kubeContext}: ${versions.stderr.trim().split("\n")[0] || `exit ${versions.exitCode}`}`,
          fix: `check the context: kubectl --context ${ctx.kubeContext} get namespaces`,
        };
      if (!kubectlSkewOk(client, server))
        return { name: "kubectl", status: "fail", detail: `kubectl ${client} is more than one minor version from the cluster's ${server}`, fix: `install kubectl ${server.replace(/\.\d+$/, ".x")} (brew install kubernetes-cli, or the version your cluster documents)` };
      return { name: "kubectl", status: "pass", detail: `kubectl ${client}, cluster ${server}` };
    }
    const want = minKubectlFor(ctx.config.minikube.kubernetesVersion);
    const version = await kubectlClientVersion(ctx.runner);
    if (!versionAtLeast(version, want))
      return { name: "kubectl", status: "fail", detail: `kubectl ${version} is older than v${want}, too old for Kubernetes ${ctx.config.minikube.kubernetesVersion}`, fix: "brew upgrade kubernetes-cli" };
    return { name: "kubectl", status: "pass", detail: `kubectl ${version}` };
  } catch (error) {
    if (missing(error)) return { name: "kubectl", status: "fail", detail: "kubectl is not installed", fix: "brew install kubernetes-cli" };
    return { name: "kubectl", status: "fail", detail: `kubectl version failed: ${(error as Error).message.split("\n")[0]}`, fix: "brew reinstall kubernetes-cli" };
  }
}

/** docker installed, then its daemon answering; the info, when it answers, for the resource checks. */
async function dockerChecks(ctx: LabContext): Promise<{ results: CheckResult[]; info?: DockerInfo }> {
  let result;
  try {
    result = await dockerInfo(ctx.runner);
  } catch (error) {
    if (missing(error))
      return {
        results: [{ name: "docker", status: "fail", detail: "docker is not installed", fix: "brew install --cask docker-desktop (or brew bundle), then start Docker Desktop" }],
      };
    throw error;
  }
  const installed: CheckResult = { name: "docker", status: "pass", detail: "docker client installed" };
  if (!dockerAnswers(result))
    return {
      results: [
        installed,
        {
          name: "docker daemon",
          status: "fail",
          detail: `Docker daemon not reachable: ${(result.stderr.trim().split("\n")[0] ?? "").slice(0, 160)}`,
          fix: "start Docker Desktop (open -a Docker) and wait until it says it is running",
        },
      ],
    };
  return {
    results: [installed, { name: "docker daemon", status: "pass", detail: `Docker ${result.info.ServerVersion} (${result.info.OperatingSystem ?? "unknown OS"})` }],
    info: result.info,
  };
}

function resourceChecks(ctx: LabContext, info: DockerInfo): CheckResult[] {
  const results: CheckResult[] = [];
  const cpus = ctx.config.minikube.cpus;
  if (info.NCPU !== undefined)
    results.push(
      cpus > info.NCPU
        ? { name: "cpus", status: "fail", detail: `minikube.cpus is ${cpus} but Docker has ${info.NCPU}`, fix: `give Docker Desktop ${cpus} CPUs (Settings > Resources) or lower minikube.cpus` }
        : { name: "cpus", status: "pass", detail: `${cpus} of Docker's ${info.NCPU} CPUs` },
    );
  if (info.MemTotal !== undefined) {
    // minikube refuses an explicit --memory only when it is above Docker's memory (minikube
    // cmd/minikube/cmd/start_flags.go getMemorySize: `if driver.IsKIC(drvName) && mem > containerLimit`,
    // containerLimit = docker info's MemTotal in MB, start.go memoryLimits); the "Docker's memory
    // - 48 MB" in start.go suggestMemoryAllocation is only its suggested default.
    const dockerMb = Math.floor(info.MemTotal / 2 ** 20);
    const wantMb = memoryMegabytes(ctx.config);
    results.push(
      wantMb > dockerMb
        ? { name: "memory", status: "fail", detail: `minikube.memory is ${wantMb} MB but Docker allows ${dockerMb} MB`, fix: `give Docker Desktop more memory (Settings > Resources) or lower minikube.memory` }
        : { name: "memory", status: "pass", detail: `${wantMb} MB of Docker's ${dockerMb} MB` },
    );
  }
  return results;
}

async function diskCheck(ctx: LabContext, facts: HostFacts): Promise<CheckResult> {
  const need = sizeToBytes(ctx.config.registry.storageSize) + sizeToBytes(ctx.config.etcd.storageSize) * ctx.config.etcd.replicas;
  const free = await facts.freeDiskBytes();
  return free < need
    ? { name: "disk", status: "warn", detail: `${formatBytes(free)} free, the lab's volumes may grow to ${formatBytes(need)}`, fix: "free disk space or lower registry.storageSize" }
    : { name: "disk", status: "pass", detail: `${formatBytes(free)} free for up to ${formatBytes(need)} of lab volumes` };
}

async function portChecks(ctx: LabContext, facts: HostFacts, labRunning: boolean): Promise<CheckResult[]> {
  const ports: [string, number][] = [
    ["controller.port", ctx.config.controller.port],
    ["registry.port", ctx.config.registry.port],
    ["ingress.port", ctx.config.ingress.port],
    // The tunnel forwards every LoadBalancer port, the probe's too (one `ssh -L` per Service port,
    // minikube pkg/minikube/tunnel/kic/ssh_conn.go createSSHConn); ssh's own complaint about a busy
    // port goes only to minikube's log file, never to .lab/tunnel.log.
    ...(ctx.config.probe.enabled ? [["probe.port", ctx.config.probe.port] as [string, number]] : []),
  ];
  const results: CheckResult[] = [];
  for (const [key, port] of ports) {
    if (await facts.portFree(port)) results.push({ name: `port ${port}`, status: "pass", detail: `127.0.0.1:${port} is free (${key})` });
    else if (labRunning) results.push({ name: `port ${port}`, status: "pass", detail: `127.0.0.1:${port} is in use, by the running lab (${key})` });
    else
      results.push({
        name: `port ${port}`,
        status: "fail",
        detail: `127.0.0.1:${port} is already in use (${key})`,
        fix: `stop what listens there (lsof -nP -iTCP:${port} -sTCP:LISTEN) or choose another: --set ${key}=PORT`,
      });
  }
  return results;
}

function hostsCheck(ctx: LabContext): CheckResult {
  const names = labHostnames(ctx).join(" ");
  const shadows = hostsShadows(ctx);
  if (shadows.length > 0)
    return { name: "/etc/hosts", status: "warn", detail: `${shadows.map((s) => s.name).join(" and ")} resolve elsewhere first`, fix: describeShadows(ctx.options.hostsFile, shadows) };
  return hostsResolved(ctx)
    ? { name: "/etc/hosts", status: "pass", detail: `${names} resolve to 127.0.0.1` }
    : { name: "/etc/hosts", status: "warn", detail: `${names} are not in ${ctx.options.hostsFile}`, fix: "npm run lab:up -- --hosts adds them (with sudo), or add: 127.0.0.1 " + names };
}

async function sudoCheck(ctx: LabContext): Promise<CheckResult> {
  if (!ctx.options.needsSudo) return { name: "sudo", status: "pass", detail: "running as root, no sudo needed" };
  try {
    return (await sudoAsksPassword(ctx.runner))
      ? { name: "sudo", status: "pass", detail: "sudo will ask for your password, visibly, only when writing /etc/hosts (--hosts)" }
      : { name: "sudo", status: "pass", detail: "sudo works without a password prompt" };
  } catch (error) {
    if (missing(error)) return { name: "sudo", status: "warn", detail: "sudo is not installed", fix: "add the /etc/hosts line by hand" };
    throw error;
  }
}

/** A doctor line as a row of the one table (lab/checks/rows.ts); a check that threw is a blocker. */
export const DOCTOR_ROWS: RowKind<CheckResult> = {
  row: (r): Row => ({ mark: r.status, name: r.name, detail: r.detail, fix: r.fix }),
  thrown: (title, { detail, fix }) => ({ name: title, status: "fail", detail, ...(fix ? { fix } : {}) }),
};

/** Every check, in the order a person fixes them; later checks read what earlier ones found. */
export function doctorChecks(ctx: LabContext, facts: HostFacts = realHostFacts): Check<CheckResult>[] {
  let minikubeOk = false;
  let docker: DockerInfo | undefined;
  const checks: Check<CheckResult>[] = [{ title: "platform", run: () => platformCheck(facts) }];
  if (ctx.usesMinikube)
    checks.push({
      title: "minikube",
      run: async () => {
        const result = await minikubeCheck(ctx);
        minikubeOk = result.status === "pass";
        return result;
      },
    });
  checks.push({ title: "kubectl", run: () => kubectlCheck(ctx) });
  if (ctx.usesMinikube)
    checks.push(
      {
        title: "docker",
        run: async () => {
          const found = await dockerChecks(ctx);
          docker = found.info;
          return found.results;
        },
      },
      {
        title: "cpus, memory",
        run: async () =>
          docker
            ? resourceChecks(ctx, docker)
            : {
                name: "cpus, memory",
                status: "warn",
                detail: `not checked: Docker is not reachable, so its CPUs and memory are unknown (minikube.cpus ${ctx.config.minikube.cpus}, minikube.memory ${memoryMegabytes(ctx.config)} MB)`,
                fix: "start Docker Desktop and run npm run lab:doctor again",
              },
      },
    );
  checks.push({ title: "disk", run: () => diskCheck(ctx, facts) });
  if (ctx.usesMinikube)
    checks.push({
      title: "ports",
      run: async () => {
        // Only a running cluster explains busy ports: a tunnel left alive while the node is stopped
        // does not, and `docker start` of the node would then fail on a busy ingress port.
        const labRunning = minikubeOk && docker !== undefined && (await clusterState(ctx.runner, ctx.config.profile)).kind === "running";
        return portChecks(ctx, facts, labRunning);
      },
    });
  checks.push({ title: "/etc/hosts", run: async () => hostsCheck(ctx) }, { title: "sudo", run: () => sudoCheck(ctx) });
  return checks;
}

export function runDoctor(ctx: LabContext, facts: HostFacts = realHostFacts): Promise<CheckResult[]> {
  return runChecks(doctorChecks(ctx, facts), DOCTOR_ROWS);
}

export function blockers(results: readonly CheckResult[]): CheckResult[] {
  return failures(results, DOCTOR_ROWS);
}
