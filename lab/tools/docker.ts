import type { Runner } from "../exec/types.js";

/** What the lab reads of `docker info` (docker/docker api/types/system Info; field names as its JSON prints them). */
export interface DockerInfo {
  readonly ServerVersion?: string;
  readonly NCPU?: number;
  readonly MemTotal?: number;
  readonly OperatingSystem?: string;
}

/** `docker info` read whether or not the daemon answers: the parsed JSON, the exit code, stderr. */
export interface DockerInfoResult {
  readonly exitCode: number;
  readonly info: DockerInfo;
  readonly stderr: string;
}

/** The argv of `docker info` as JSON: `--format` takes a Go template, `{{json .}}` the whole info (docker-info(1), https://docs.docker.com/go/formatting/). */
export const DOCKER_INFO_ARGV = ["docker", "info", "--format", "{{json .}}"] as const;

/**
 * `docker info --format '{{json .}}'` prints the info JSON even when the daemon is down, then exits
 * 1 with "Cannot connect to the Docker daemon" on stderr and an empty ServerVersion (seen with the
 * Docker 28.2.2 client; fixture test/fixtures/docker-info-daemon-down.json). The daemon answers
 * when the exit code is 0 and ServerVersion is set. A missing docker binary throws CommandError
 * with exit code 127 (lab/exec/types.ts settle), for the caller to name the install.
 */
export async function dockerInfo(runner: Runner): Promise<DockerInfoResult> {
  const result = await runner.run(DOCKER_INFO_ARGV, { allowFailure: true, timeoutMs: 30_000 });
  let info: DockerInfo = {};
  try {
    info = (JSON.parse(result.stdout) as DockerInfo | null) ?? {};
  } catch {
    // No JSON at all: the daemon is judged by the exit code and ServerVersion.
  }
  return { exitCode: result.exitCode, info, stderr: result.stderr };
}

/** Whether `docker info` says the daemon answered. */
export function dockerAnswers(result: DockerInfoResult): boolean {
  return result.exitCode === 0 && Boolean(result.info.ServerVersion);
}
