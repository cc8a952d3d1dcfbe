import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExecaRunner, lineSplitter } from "../lab/exec/runner.js";

// The runner against real child processes: what a long command (minikube start) shows live.
describe("a long command's output: to its log, and each line as it comes", () => {
  it("appends stdout and stderr to the log, passes each line on before the command ends, and still captures", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anka-lab-runner-"));
    const file = join(dir, "start.log");
    writeFileSync(file, "an earlier start\n");
    const seen: { line: string; logHasIt: boolean }[] = [];
    // The child prints a line, then waits until that line reached onLine (a marker file appears).
    // Its later writes go to one stream: two streams reach the log through two writers, unordered.
    const marker = join(dir, "seen");
    const program = `
      const fs = require("node:fs");
      console.log("😄  [lab] minikube v1.38.1 on Darwin");
      const until = Date.now() + 10000;
      while (!fs.existsSync(${JSON.stringify(marker)}) && Date.now() < until) {}
      console.error("🏄  Done! kubectl is now configured");
      process.stderr.write("no newline at the end");`;
    const result = await new ExecaRunner().run([process.execPath, "-e", program], {
      timeoutMs: 20_000,
      log: {
        file,
        onLine: (line) => {
          seen.push({ line, logHasIt: readFileSync(file, "utf8").includes(line) });
          writeFileSync(marker, "");
        },
      },
    });
    expect(result.exitCode).toBe(0);
    expect(seen.map((s) => s.line)).toEqual(["😄  [lab] minikube v1.38.1 on Darwin", "🏄  Done! kubectl is now configured"]);
    expect(readFileSync(file, "utf8")).toBe(
      "an earlier start\n😄  [lab] minikube v1.38.1 on Darwin\n🏄  Done! kubectl is now configured\nno newline at the end",
    );
    expect(result.stdout).toContain("minikube v1.38.1");
    expect(result.stderr).toContain("Done!");
  });

  it("splits lines across chunks, and skips blank ones", () => {
    const lines: string[] = [];
    const split = lineSplitter((l) => lines.push(l));
    for (const chunk of ["first pa", "rt\r\n\n  \nsecond\rthird", " line\n"]) split(Buffer.from(chunk));
    expect(lines).toEqual(["first part", "second", "third line"]);
  });
});
