import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import { containerEnv, expandKubeVars, type ConfigMapData, type PodFields } from "./expand.js";

/**
 * Runs one container of a pod spec the way kubelet would: env built in order with fieldRef values,
 * command and args $(VAR)-expanded, and each volume mount backed by a directory of the test. The
 * image's entrypoint is swapped for a local binary (Debian's etcd for /usr/local/bin/etcd), and
 * mount paths inside args are rewritten to their backing directories, since the process shares
 * the host's filesystem rather than the image's.
 */
export interface ContainerRun {
  readonly argv: string[];
  readonly env: Record<string, string>;
}

/** Starts argv with only PATH and the container's env, stdout and stderr appended to logFile. */
export function startLogged(run: ContainerRun, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(run.argv[0]!, run.argv.slice(1), {
    env: { PATH: process.env.PATH ?? "", ...run.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

export function kubeletArgv(
  container: IContainer,
  pod: PodFields,
  binaries: Readonly<Record<string, string>>,
  volumeRoot: string,
  configMaps: ConfigMapData = {},
): ContainerRun {
  const vars = containerEnv(container.env as never, pod, configMaps);
  const mounts = (container.volumeMounts ?? []).map((m) => ({ path: m.mountPath, host: join(volumeRoot, m.name) }));
  for (const m of mounts) mkdirSync(m.host, { recursive: true });
  const remap = (arg: string) => mounts.reduce((a, m) => a.split(m.path).join(m.host), arg);
  const [entry, ...rest] = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expandKubeVars(a, vars));
  const binary = binaries[entry!];
  if (!binary) throw new Error(`no local binary stands in for the image's ${entry}`);
  const argv = [binary, ...rest.map(remap)];
  return { argv, env: Object.fromEntries(vars) };
}

/** Runs the same container inside a network namespace (ip netns exec execs into it, so the pid is the container's). */
export function inNamespace(namespace: string, run: ContainerRun): ContainerRun {
  return { argv: ["ip", "netns", "exec", namespace, ...run.argv], env: run.env };
}
