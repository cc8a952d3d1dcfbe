/**
 * The CLI as a user meets it: the real bin in a child process, in a real pseudo-terminal where it
 * matters (prompts, Ctrl-C), and in real pipes (--json, a closed reader). Nothing is injected:
 * no confirm function, no signal, no renderer. Network only to 127.0.0.1.
 */
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { notYet, ready, waitFor } from "../lab/wait.js";
import { hasBinary, skipReason } from "./support/binaries.js";
import { PtyRun } from "./support/pty.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "bin", "anka-lab.mjs");
const hasScript = hasBinary("script");
if (!hasScript) skipReason("the CLI in a real terminal", "script (util-linux)", "apt-get install bsdutils");

/** Files under a folder, recursively (the probe's store). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * A user's environment: this Node first on PATH, no CI (which would turn the live view and the
 * prompts off), no npm_* from the npm running the tests, and the lab's state, hosts file and
 * context pointed at throwaway places, so nothing here can reach a real lab or /etc/hosts.
 */
function userEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|CI$|NO_COLOR$|FORCE_COLOR$|ANKA_LAB_)/i.test(k)) env[k] = v;
  return {
    ...env,
    PATH: `${join(process.execPath, "..")}:${process.env.PATH}`,
    ANKA_LAB_STATE_DIR: join(dir, "state"),
    ANKA_LAB_HOSTS_FILE: join(dir, "hosts"),
  };
}

describe.runIf(hasScript)("the CLI in a real terminal", () => {
  let dir: string;
  let run: PtyRun | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "anka-lab-pty-"));
    writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n");
  });
  afterEach(() => run?.kill());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lab:up asks the /etc/hosts question on screen before any input, and Ctrl-C there exits 130 with where it stopped", async () => {
    // --context: a cluster that does not exist, so nothing can be touched if the question were skipped.
    const stateDir = join(dir, "state-question");
    run = new PtyRun(`node ${bin} up --context anka-lab-pty-nowhere`, { cwd: dir, env: { ...userEnv(dir), ANKA_LAB_STATE_DIR: stateDir } });
    await run.waitForScreen(/Add "127\.0\.0\.1 anka\.controller anka\.registry" to .*hosts\? It needs sudo.*\[y\/N\]/, 20_000);
    const asked = Date.now();
    run.type("\u0003");
    const { code, at } = await run.exited;
    expect(code).toBe(130);
    expect(at - asked).toBeLessThan(2000);
    // No step ran, so nothing recorded where it stopped, and the line does not claim so.
    expect(run.screen).toMatch(/anka-lab: interrupted \(Ctrl-C\) during "the \/etc\/hosts question"; next: npm run lab:up/);
    expect(existsSync(join(stateDir, "state.json"))).toBe(false);
  }, 30_000);

  describe("lab:push to a local probe", () => {
    let probe: RunningProbe;
    beforeAll(async () => {
      probe = await startProbe();
    });
    afterAll(async () => probe?.stop());

    it("Ctrl-C mid-transfer of 4Gi exits 130 within 2 s, prints no 'verified', and leaves nothing in the probe's store", async () => {
      run = new PtyRun(`node ${bin} push --to ${probe.url} --size 4Gi --seed 11`, { cwd: dir, env: userEnv(dir) });
      // A layer is on the wire, and the yaml and nvram before it are committed by the probe (the
      // nvram's answer may still be on its way while the layer is sent).
      await run.waitForScreen(/images\/layer-0\.ank \d+% \(/, 60_000);
      await waitFor("the probe to store the yaml and the nvram", async () => (filesUnder(join(probe.root, "files")).length >= 2 ? ready(true) : notYet("fewer")), { timeoutMs: 10_000, intervalMs: 20 });
      const pressed = Date.now();
      run.type("\u0003");
      const { code, at } = await run.exited;
      expect(code).toBe(130);
      expect(at - pressed).toBeLessThan(2000);
      expect(filesUnder(probe.root)).toEqual([]);
      expect(run.screen).not.toContain("verified");
      // The nvram counts as stored once its answer came; stored or in flight, it is removed.
      expect(run.screen).toMatch(/anka-lab: interrupted \(Ctrl-C\) after [12] of \d+ files; removed the 2 file\(s\) this run had stored/);
      // What to type next is this very push again, --seed included.
      expect(run.screen).toMatch(/next: npm run lab:push -- --to http:\/\/127\.0\.0\.1:\d+ --size 4Gi --seed 11\s*$/);
    }, 90_000);

    it("16Gi in a pipe: the first file is stored within a second; SIGINT while a large layer is sent stops it (exit 130, nothing stored)", async () => {
      // 16Gi: each layer is about 3.6 GiB, hashed as it is sent, so the stop cuts into the send and its hash.
      const child = spawn(process.execPath, [bin, "push", "--to", probe.url, "--size", "16Gi", "--seed", "12"], { cwd: dir, env: userEnv(dir), stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (out += c));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // The first byte leaves at once, whatever the size: the small config yaml is stored first.
      await waitFor("the push to start", async () => (/❯ push/.test(out) ? ready(true) : notYet("starting")), { timeoutMs: 30_000, intervalMs: 10 });
      const started = Date.now();
      await waitFor("the yaml in the store", async () => (filesUnder(join(probe.root, "files")).some((f) => f.endsWith(".yaml")) ? ready(true) : notYet("not yet")), { timeoutMs: 30_000, intervalMs: 10 });
      expect(Date.now() - started).toBeLessThan(1000);
      await waitFor("the layer on the wire", async () => (/images\/layer-0\.ank \d+% \(/.test(out) ? ready(true) : notYet("starting")), { timeoutMs: 30_000, intervalMs: 25 });
      const sent = Date.now();
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(Date.now() - sent).toBeLessThan(2000);
      expect(out).not.toContain("verified");
      expect(filesUnder(probe.root)).toEqual([]);
    }, 60_000);

    it("--json with a stop is still one JSON document on stdout", async () => {
      const child = spawn(process.execPath, [bin, "push", "--to", probe.url, "--size", "16Gi", "--seed", "13", "--json"], { cwd: dir, env: userEnv(dir), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await waitFor("the layer on the wire", async () => (/images\/layer-0\.ank \d+% \(/.test(stderr) ? ready(true) : notYet("starting")), { timeoutMs: 30_000, intervalMs: 25 });
      child.kill("SIGTERM");
      expect(await exited).toBe(143);
      expect(JSON.parse(stdout)).toEqual({ ok: false, error: "stopped by SIGTERM", exitCode: 143 });
    }, 60_000);

    it("--json | head -c 1 gets the JSON's first byte and ends quietly; so does a reader that is already gone", async () => {
      const sh = (line: string) => promisify(execFile)("bash", ["-c", `set -o pipefail; ${line}`], { cwd: dir, env: userEnv(dir) });
      const head = await sh(`node ${bin} push --to ${probe.url} --size 16Mi --json 2>${join(dir, "err1")} | head -c 1`);
      expect(head.stdout).toBe("{");
      const closed = await sh(`node ${bin} push --to ${probe.url} --size 16Mi --json 2>${join(dir, "err2")} | true`);
      expect(closed.stdout).toBe("");
      for (const err of ["err1", "err2"]) {
        const text = (await promisify(execFile)("cat", [join(dir, err)])).stdout;
        expect(text).not.toMatch(/EPIPE|Error|    at /);
      }
    }, 60_000);
  });

  it.each([
    ["SIGINT", 130, "interrupted (Ctrl-C)"],
    ["SIGTERM", 143, "stopped (SIGTERM)"],
  ] as const)("%s to lab:up alone (as in a pipe) stops the kubectl it is waiting on, records where, and exits %i within 2 s", async (signal, exitCode, reason) => {
    // kubectl, minikube and docker stubs that note their pid and hang, so a step is busy when SIGINT comes.
    const stubs = join(dir, "stubs");
    const pids = join(dir, `stub-pids-${signal}`);
    mkdirSync(stubs, { recursive: true });
    for (const tool of ["kubectl", "minikube", "docker"]) {
      writeFileSync(join(stubs, tool), `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 60\n`);
      chmodSync(join(stubs, tool), 0o755);
    }
    const env = { ...userEnv(dir), PATH: `${stubs}:${userEnv(dir).PATH}` };
    const child = spawn(process.execPath, [bin, "up", "--context", "anka-lab-pty-nowhere"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (c) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitFor("a stub to be running", async () => (existsSync(pids) ? ready(true) : notYet("no stub yet")), { timeoutMs: 30_000, intervalMs: 25 });
    const stub = Number(readFileSync(pids, "utf8").trim().split("\n")[0]);
    const sent = Date.now();
    child.kill(signal);
    expect(await exited).toBe(exitCode);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(() => process.kill(stub, 0)).toThrow();
    const how = signal === "SIGINT" ? "interrupted \\(Ctrl-C\\)" : "stopped by SIGTERM";
    // The state folder as it is (ANKA_LAB_STATE_DIR), relative to where the command ran.
    expect(err).toMatch(new RegExp(`anka-lab: ${how} during "doctor"; state/state\\.json records it; next: npm run lab:up carries on from there`));
    expect(JSON.parse(readFileSync(join(dir, "state", "state.json"), "utf8"))).toMatchObject({ stoppedAt: "doctor", stoppedBecause: reason });
  }, 60_000);

  it("--json is one JSON document on stdout even when the command fails (no lab on that context)", async () => {
    const run = (verb: string) => promisify(execFile)(process.execPath, [bin, verb, "--json", "--context", "anka-lab-pty-nowhere"], { cwd: dir, env: userEnv(dir) }).catch((e) => e);
    const smoke = await run("smoke");
    expect(smoke.code).toBe(1);
    expect(JSON.parse(smoke.stdout)).toMatchObject({ ok: false, exitCode: 1, error: expect.stringContaining("anka-lab-pty-nowhere") });
    expect(smoke.stderr).toMatch(/^anka-lab: /);
    // lab:status reports the context that does not answer as its status: unhealthy, and why.
    const status = await run("status");
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({
      context: "anka-lab-pty-nowhere",
      healthy: false,
      problems: [{ name: "kube context", detail: 'anka-lab-pty-nowhere does not answer: error: context "anka-lab-pty-nowhere" does not exist' }],
    });
    expect(status.stderr).toBe("");
    // And as a table: one ✗ row for the context, with what to check (stdout a pipe: no colour).
    const table = await promisify(execFile)(process.execPath, [bin, "status", "--context", "anka-lab-pty-nowhere"], { cwd: dir, env: userEnv(dir) }).catch((e) => e);
    expect(table.code).toBe(1);
    expect(table.stdout).toBe(
      [
        "context anka-lab-pty-nowhere, namespace anka",
        '✗ kube context: anka-lab-pty-nowhere does not answer: error: context "anka-lab-pty-nowhere" does not exist',
        "    fix: check the context: kubectl --context anka-lab-pty-nowhere get namespaces",
        "The lab is not healthy: npm run lab:up repairs what it can, npm run lab:doctor checks the Mac.",
        "",
      ].join("\n"),
    );
  }, 60_000);

  describe("colour, decided per stream by Node (util.styleText)", () => {
    const ESC = "\u001b[";
    /** Runs a shell line in the pty and waits for it to end; returns what reached the screen, escapes included. */
    const inTerminal = async (line: string, env: NodeJS.ProcessEnv = userEnv(dir)) => {
      run = new PtyRun(line, { cwd: dir, env });
      await run.exited;
      return run.output;
    };
    const file = (name: string) => readFileSync(join(dir, name), "utf8");

    it("a terminal gets colour on both streams: bold help on stdout, a red error prefix on stderr", async () => {
      expect(await inTerminal(`node ${bin} render --help`)).toContain(`${ESC}1mnpm run lab:render${ESC}22m`);
      expect(await inTerminal(`node ${bin} nosuchverb`)).toContain(`${ESC}31manka-lab:${ESC}39m unknown command "nosuchverb"`);
    }, 30_000);

    it("NO_COLOR gives no escape codes, even in a terminal", async () => {
      const env = { ...userEnv(dir), NO_COLOR: "1" };
      const help = await inTerminal(`node ${bin} render --help`, env);
      const error = await inTerminal(`node ${bin} nosuchverb`, env);
      expect(help).toContain("npm run lab:render - write the lab's Kubernetes YAML");
      expect(error).toContain('anka-lab: unknown command "nosuchverb"');
      expect(help + error).not.toContain(ESC);
    }, 30_000);

    it("a check row's mark is coloured in a terminal (lab/checks/rows.ts), and plain with NO_COLOR", async () => {
      const line = `node ${bin} status --context anka-lab-pty-nowhere`;
      expect(await inTerminal(line)).toContain(`${ESC}31m✗${ESC}39m kube context: anka-lab-pty-nowhere does not answer`);
      const plain = await inTerminal(line, { ...userEnv(dir), NO_COLOR: "1" });
      expect(plain).toContain("✗ kube context: anka-lab-pty-nowhere does not answer");
      expect(plain).not.toContain(ESC);
    }, 30_000);

    it("a stream that is not a terminal gets none, while the other one, a terminal, keeps its colour", async () => {
      // stdout to a file, stderr still the terminal.
      const screen = await inTerminal(`sh -c 'node ${bin} render --help >help.out; node ${bin} nosuchverb >help.out2'`);
      expect(file("help.out")).toContain("npm run lab:render - write the lab's Kubernetes YAML");
      expect(file("help.out")).not.toContain(ESC);
      expect(screen).toContain(`${ESC}31manka-lab:${ESC}39m unknown command "nosuchverb"`);
      // stderr to a file, stdout still the terminal.
      const screen2 = await inTerminal(`sh -c 'node ${bin} nosuchverb 2>error.out; node ${bin} render --help 2>error.out2'`);
      expect(file("error.out")).toContain('anka-lab: unknown command "nosuchverb"');
      expect(file("error.out")).not.toContain(ESC);
      expect(screen2).toContain(`${ESC}1mnpm run lab:render${ESC}22m`);
    }, 30_000);
  });

  it("npm run lab:up --dry-run (no --) refuses in one line with the command to type, and runs nothing", async () => {
    const env = { ...userEnv(dir), ANKA_LAB_CONTEXT: "anka-lab-pty-nowhere", ANKA_LAB_STATE_DIR: join(dir, "npm-state") };
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"];
    const error = await promisify(execFile)(npm[0]!, [...npm.slice(1), "run", "--silent", "lab:up", "--dry-run"], { cwd: root, env }).catch((e) => e);
    expect(error.code).toBe(2);
    const lines = String(error.stderr).trim().split("\n").filter((l) => !/^npm (warn|WARN)/.test(l));
    expect(lines).toEqual([expect.stringMatching(/^anka-lab: npm took --dry-run for itself .*; type: npm run lab:up -- --dry-run$/)]);
    expect(existsSync(join(dir, "npm-state"))).toBe(false);
  }, 60_000);
});
