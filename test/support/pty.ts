import { spawn, type ChildProcess } from "node:child_process";
import { notYet, ready, waitFor } from "../../lab/wait.js";

/**
 * A command in a real pseudo-terminal, through util-linux's `script` (Debian's bsdutils, which is
 * Essential, so every Debian machine has it): `script -q -f -e -c CMD /dev/null` runs CMD with a
 * pty as its stdin, stdout and stderr, copies what it prints to our pipe at once (-f), and exits
 * with CMD's status (-e) (https://man7.org/linux/man-pages/man1/script.1.html). A Ctrl-C written to
 * script's stdin reaches the pty, whose line discipline turns it into SIGINT for CMD's foreground
 * process group, as a keyboard does.
 */
export class PtyRun {
  private readonly child: ChildProcess;
  private raw = "";
  readonly exited: Promise<{ code: number | null; at: number }>;

  constructor(command: string, options: { cwd: string; env: NodeJS.ProcessEnv; columns?: number }) {
    this.child = spawn("script", ["-qfec", `stty cols ${options.columns ?? 120} rows 40 2>/dev/null; exec ${command}`, "/dev/null"], {
      cwd: options.cwd,
      // SHELL: script runs CMD with $SHELL -c; a POSIX sh that can exec.
      env: { ...options.env, SHELL: "/bin/sh", TERM: "xterm-256color" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.raw += chunk));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.raw += chunk));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve({ code, at: Date.now() })));
  }

  /** Everything printed so far, escape sequences (colour) included. */
  get output(): string {
    return this.raw;
  }

  /** What is on screen so far, escape sequences removed. */
  get screen(): string {
    // eslint-disable-next-line no-control-regex
    return this.raw.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\u001b[()][0-9A-Za-z]/g, "").replace(/\r/g, "");
  }

  /** Waits until the screen shows `what`, with a deadline; the error shows the screen. */
  async waitForScreen(what: RegExp | string, timeoutMs: number): Promise<void> {
    const seen = () => (typeof what === "string" ? this.screen.includes(what) : what.test(this.screen));
    let done = false;
    void this.exited.then(() => (done = true));
    await waitFor(
      `the screen to show ${String(what)}`,
      async () => (seen() ? ready(true) : done ? ready(false) : notYet("not yet")),
      { timeoutMs, intervalMs: 25 },
    ).catch(() => false);
    if (!seen()) throw new Error(`the screen never showed ${String(what)} in ${timeoutMs} ms${done ? " (the command exited)" : ""}; it shows:\n${this.screen.slice(-3000)}`);
  }

  /** Types into the terminal: "\u0003" is Ctrl-C, "n\r" an answer. */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}
