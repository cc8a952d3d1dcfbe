import { describe, expect, it } from "vitest";
import { helpText, parseCommandLine, type ParsedArgs } from "../lab/cli/command.js";
import { npmAteFlags } from "../lab/cli/npmFlags.js";
import { pushSpec, renderSpec, upSpec, downSpec } from "../lab/commands/specs.js";
import { wouldLines } from "../lab/lifecycle/step.js";
import { formatProgress } from "../lab/transfer/progress.js";
import { listenForStop } from "../lab/cli/signals.js";

describe("flags npm ate", () => {
  const run = (event: string, vars: Record<string, string>) => ({ npm_lifecycle_event: event, npm_config_yes: "", ...vars });

  it("refuses a boolean flag npm took, with the command to type", () => {
    expect(npmAteFlags(upSpec, [], run("lab:up", { npm_config_dry_run: "true" }))).toBe(
      "npm took --dry-run for itself (flags before `--` go to npm, not to the lab), so nothing ran; type: npm run lab:up -- --dry-run",
    );
    expect(npmAteFlags(downSpec, [], run("lab:down", { npm_config_purge: "true", npm_config_yes: "true" }))).toMatch(/; type: npm run lab:down -- --purge --yes$/);
  });

  it("puts a value flag's stranded value back after it", () => {
    expect(npmAteFlags(pushSpec, ["4Gi", "--to", "http://127.0.0.1:8087"], run("lab:push", { npm_config_size: "true" }))).toMatch(
      /; type: npm run lab:push -- --size 4Gi --to http:\/\/127\.0\.0\.1:8087$/,
    );
  });

  it("stays quiet for npm's defaults, for flags also typed after --, and outside npm run of this command", () => {
    expect(npmAteFlags(upSpec, [], run("lab:up", {}))).toBeUndefined();
    expect(npmAteFlags(upSpec, ["--dry-run"], run("lab:up", { npm_config_dry_run: "true" }))).toBeUndefined();
    expect(npmAteFlags(upSpec, [], run("npx", { npm_config_dry_run: "true" }))).toBeUndefined();
    expect(npmAteFlags(upSpec, [], { npm_config_dry_run: "true" })).toBeUndefined();
  });
});

describe("typed flags", () => {
  const parse = (...argv: string[]) => parseCommandLine(renderSpec, argv) as ParsedArgs;

  it("reads a value flag, a repeatable flag and a boolean as typed, and their absence", () => {
    const args = parse("--out", "/tmp/m", "--check", "--set", "etcd.replicas=5", "--set", "namespace=x");
    expect(args.string("out")).toBe("/tmp/m");
    expect(args.strings("set")).toEqual(["etcd.replicas=5", "namespace=x"]);
    expect(args.flag("check")).toBe(true);
    const none = parse();
    expect([none.string("out"), none.strings("set"), none.flag("check")]).toEqual([undefined, [], false]);
  });

  it("refuses a flag the command does not declare with that type, instead of reading it as not given", () => {
    const args = parse("--out", "/tmp/m");
    expect(() => args.string("outt")).toThrow("lab:render declares no string flag --outt; see lab/commands/specs.ts");
    expect(() => args.flag("out")).toThrow("lab:render declares no boolean flag --out");
    expect(() => args.string("set")).toThrow("lab:render declares no string flag --set");
    expect(() => args.strings("out")).toThrow("lab:render declares no repeatable string flag --out");
  });
});

it("--help offers npx anka-lab for the lab's verbs, and only npm run for the other scripts", () => {
  expect(helpText(pushSpec)).toContain("   or: npx anka-lab push [flags]");
  // anka-lab takes no bench:transfer verb (bin/anka-lab.mjs, lab/cli/main.ts VERBS).
  expect(helpText({ name: "bench:transfer", summary: "a benchmark", flags: [] })).not.toContain("npx anka-lab");
});

it("dry-run step lines say what would happen", () => {
  expect(wouldLines(["minikube start -p lab", "wait for all 3 etcd members healthy", "with --hosts or a yes at the prompt: sudo cp a b"])).toBe(
    "would run: minikube start -p lab\nwould wait for all 3 etcd members healthy\nwould, with --hosts or a yes at the prompt: sudo cp a b",
  );
  expect(wouldLines([])).toBe("would change nothing");
  expect(wouldLines(["preflight would stop a real run: x"])).toBe("preflight would stop a real run: x");
});

it("push progress shows no rate or ETA until they are known", () => {
  const p = { file: "a.yaml", fileBytes: 125, fileSize: 125, totalBytes: 125, totalSize: 8 * 2 ** 30, elapsedMs: 3 };
  expect(formatProgress(p)).toBe("a.yaml 100% (125 B/125 B), total 0% of 8.0 GiB, measuring the rate");
  expect(formatProgress({ ...p, file: "l.ank", fileBytes: 2 ** 30, fileSize: 2 ** 31, totalBytes: 2 ** 30, elapsedMs: 4000 })).toMatch(/, 268\.4 MB\/s, ETA 28s$/);
});

describe("stop signals", () => {
  it("the first SIGINT aborts the run's signal; a second exits at once with 130", () => {
    const exits: number[] = [];
    const interrupt = listenForStop({ exit: (code) => void exits.push(code) });
    try {
      process.emit("SIGINT", "SIGINT");
      expect(interrupt.signal.aborted).toBe(true);
      expect(interrupt.received).toBe("SIGINT");
      expect(interrupt.exitCode).toBe(130);
      expect(exits).toEqual([]);
      process.emit("SIGINT", "SIGINT");
      expect(exits).toEqual([130]);
    } finally {
      interrupt.dispose();
    }
  });

  it("SIGTERM is 143, and the listeners stay (process.on) until disposed", () => {
    const before = process.listenerCount("SIGTERM");
    const interrupt = listenForStop({ exit: () => undefined });
    process.emit("SIGTERM", "SIGTERM");
    expect(interrupt.exitCode).toBe(143);
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    interrupt.dispose();
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });
});

describe("lab:up --timeout", () => {
  it.each(["1e3", "0x10", "0", "", " 5", "9999999"])("refuses %j in one line, exit 2, before it looks at anything", async (value) => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { join } = await import("node:path");
    const bin = join(import.meta.dirname, "..", "bin", "anka-lab.mjs");
    const error = await promisify(execFile)(process.execPath, [bin, "up", "--timeout", value, "--context", "anka-lab-nowhere"], { env: { ...process.env, NO_COLOR: "1" } }).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.stderr.trim()).toBe(`anka-lab: --timeout ${value}: expected a whole number of seconds, e.g. --timeout 600`);
  });
});
