import type { RunResult, Runner } from "../exec/types.js";

/**
 * The Anka CLI on the Mac, for lab:smoke's real push. Commands as Veertu documents them
 * (veertuinc/anka-docs _partials/anka-virtualization-cli/command-line-reference/): `anka version`,
 * and `anka registry -r <url> push -t <tag> <vm>` (…/registry/push/_index.md).
 */

/** Whether `anka version` runs: false when the CLI is not installed or does not answer. */
export async function ankaCliInstalled(runner: Runner): Promise<boolean> {
  const result = await runner.run(["anka", "version"], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
  return result?.exitCode === 0;
}

/** Pushes a VM template to a registry URL under a tag; the result, failed or not, for the caller to judge. */
export function ankaRegistryPush(runner: Runner, registryUrl: string, tag: string, template: string): Promise<RunResult> {
  // A template of tens of GB through the lab's registry: hours, not minutes.
  return runner.run(["anka", "registry", "-r", registryUrl, "push", "-t", tag, template], { allowFailure: true, timeoutMs: 4 * 3600_000 });
}
