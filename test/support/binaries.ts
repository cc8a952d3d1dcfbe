import { execFileSync } from "node:child_process";

/** Whether a program is on PATH. */
export function hasBinary(name: string): boolean {
  try {
    execFileSync("sh", ["-c", 'command -v "$1"', "sh", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may create network namespaces (root on Linux with ip). */
export function canUseNetns(): boolean {
  return process.platform === "linux" && process.getuid?.() === 0 && hasBinary("ip");
}

/**
 * Prints why a real-component test is skipped and what to install. In CI a skip is a failure:
 * the real tests must run there, so this throws instead.
 */
export function skipReason(test: string, missing: string, install: string): void {
  const line = `skipping "${test}": ${missing} is not available here; to run it: ${install}`;
  if (process.env.CI) throw new Error(`${line} (CI must run every real-component test)`);
  console.warn(line);
}
