import type { Answer } from "./fakeRunner.js";

/**
 * `sudo -n true`, the doctor's question: with cached credentials it succeeds; without them -n makes
 * sudo refuse instead of prompting, exit 1 with "a password is required" (sudo(8), -n: "If a
 * password is required for the command to run, sudo will display an error message and exit").
 */
export function sudoNonInteractive(argv: readonly string[], cached: boolean): Answer | undefined {
  if (argv[0] !== "sudo" || argv[1] !== "-n") return undefined;
  return cached ? { exitCode: 0, stdout: "", stderr: "" } : { exitCode: 1, stderr: "sudo: a password is required\n" };
}
