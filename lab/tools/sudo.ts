import type { Runner } from "../exec/types.js";

/** `sudo -n true`: -n makes sudo refuse instead of prompting (sudo(8): "If a password is required for the command to run, sudo will display an error message and exit"). */
export const SUDO_PROBE_ARGV = ["sudo", "-n", "true"] as const;

/**
 * Whether sudo would ask for a password now: `sudo -n true` succeeds with cached credentials (or a
 * NOPASSWD rule) and exits 1 with "sudo: a password is required" otherwise. A missing sudo throws
 * CommandError with exit code 127 (lab/exec/types.ts settle).
 */
export async function sudoAsksPassword(runner: Runner): Promise<boolean> {
  const result = await runner.run(SUDO_PROBE_ARGV, { allowFailure: true, timeoutMs: 10_000 });
  return result.exitCode !== 0;
}
