import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

/** A control-plane component running as a child process, its output in a log file. */
export interface Component {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  exited(): string | undefined;
}

export function startComponent(name: string, argv: readonly string[], log: string, env: NodeJS.ProcessEnv = process.env): Component {
  const fd = openSync(log, "a");
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  let exit: string | undefined;
  child.on("exit", (code, signal) => {
    exit = `${name} exited (${signal ?? `code ${code}`})`;
  });
  child.on("error", (error) => {
    exit = `${name} could not start: ${error.message}`;
  });
  return { name, child, log, exited: () => exit };
}

/** The last lines of a component's log, for a failure message. */
export function logTail(component: Component, lines = 15): string {
  try {
    return readFileSync(component.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopComponent(component: Component, graceMs = 5000): Promise<void> {
  const { child } = component;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}
