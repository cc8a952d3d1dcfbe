import { describe, expect, it } from "vitest";
import { reportError, type Io } from "../lab/cli/command.js";
import { StopRequested } from "../lab/cli/signals.js";
import { ConfigError } from "../lab/config/load.js";
import { LabError, UsageError } from "../lab/errors.js";
import { CommandError } from "../lab/exec/types.js";
import { InterruptedError } from "../lab/lifecycle/step.js";
import { RenderError } from "../lab/topology/render.js";
import { WaitTimeoutError } from "../lab/wait.js";

function printed(error: unknown, verbose = false): { code: number; err: string[] } {
  const err: string[] = [];
  const io: Io = { out: () => undefined, err: (line: string) => err.push(line), interactive: false } as unknown as Io;
  return { code: reportError(error, io, verbose), err };
}

describe("one LabError root: message, next step and exit code", () => {
  it("prints the message and the hint, and exits with the error's code", () => {
    expect(printed(new LabError("the registry LoadBalancer has no address", { hint: "npm run lab:status" }))).toEqual({
      code: 1,
      err: ["anka-lab: the registry LoadBalancer has no address", "  next: npm run lab:status"],
    });
  });

  it("bad flags exit 2", () => {
    expect(printed(new UsageError("--timeout x: expected a whole number of seconds"))).toEqual({ code: 2, err: ["anka-lab: --timeout x: expected a whole number of seconds"] });
  });

  it("config and render problems are listed under one headline, exit 2", () => {
    expect(printed(new ConfigError(["etcd.replicas: 4", "namespace: Bad"]))).toEqual({
      code: 2,
      err: ["anka-lab: the lab config has 2 problem(s):", "  etcd.replicas: 4", "  namespace: Bad"],
    });
    expect(printed(new RenderError(["a policy problem"]))).toEqual({ code: 2, err: ["anka-lab: refusing to render the lab:", "  a policy problem"] });
  });

  it("an interrupted list exits 130 after Ctrl-C and 143 after SIGTERM", () => {
    const stopped = (name: "SIGINT" | "SIGTERM") => AbortSignal.abort(new StopRequested(name));
    expect(printed(new InterruptedError("purge", stopped("SIGINT"))).code).toBe(130);
    expect(printed(new InterruptedError("purge", stopped("SIGTERM"))).code).toBe(143);
  });

  it("the errors the lab throws all extend it, so none needs a duck-typed hint", () => {
    const result = { argv: ["kubectl", "get", "pods"], exitCode: 1, stdout: "", stderr: "boom", timedOut: false } as never;
    for (const error of [new CommandError(result, "try this"), new WaitTimeoutError("pods", 1000, undefined, "look")]) {
      expect(error).toBeInstanceOf(LabError);
      expect(printed(error).err.at(-1)).toMatch(/^ {2}next: (try this|look)$/);
    }
  });

  it("an error that is not a LabError prints its message, and its stack only under --verbose", () => {
    expect(printed(new Error("EACCES: permission denied"))).toEqual({ code: 1, err: ["anka-lab: EACCES: permission denied"] });
    expect(printed(new Error("x"), true).err[1]).toMatch(/^Error: x\n\s+at /);
  });
});
