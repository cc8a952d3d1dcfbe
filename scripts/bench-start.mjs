// npm run bench:start: how long the CLI takes to start, against `node -e 0` measured in the same
// run (so a busy machine shows in both). Two figures per command, the median of several runs:
// - help: until `anka-lab <verb> --help` has exited (target: 150 ms);
// - first line: until the first byte of output of a command that does real work (target: 300 ms);
//   its exit is shown beside it, so a fast first line cannot hide a slow command.
// Prints both figures, and the ratio of the one with a target to node -e 0; it is a measurement, not a test.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const bin = join(root, "bin", "anka-lab.mjs");
const runs = Number(process.env.BENCH_RUNS ?? 7);
const scratch = mkdtempSync(join(tmpdir(), "anka-lab-bench-start-"));
writeFileSync(join(scratch, "hosts"), "127.0.0.1 localhost\n");
// No CI (plain lines), a throwaway state dir, and a kube context that does not exist: nothing is touched.
const env = { ...process.env, CI: "", ANKA_LAB_STATE_DIR: join(scratch, "state"), ANKA_LAB_HOSTS_FILE: join(scratch, "hosts"), NO_COLOR: "1" };
for (const k of Object.keys(env)) if (k.startsWith("npm_")) delete env[k];

/** Milliseconds until the first byte of output (or exit) and until exit. */
function once(argv) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
    let first;
    const child = spawn(process.execPath, argv, { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
    const onData = () => (first ??= ms());
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("exit", () => resolve({ first: first ?? ms(), exit: ms() }));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(argv) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await once(argv));
  return { first: median(samples.map((s) => s.first)), exit: median(samples.map((s) => s.exit)) };
}

const verbs = ["up", "status", "smoke", "push", "repro", "down", "doctor", "render"];
const baseline = await measure(["-e", "0"]);
// [name, figures, which figure the target is about, target ms]
const rows = [["node -e 0", baseline, "exit", undefined]];
for (const verb of verbs) rows.push([`anka-lab ${verb} --help`, await measure([bin, verb, "--help"]), "exit", 150]);
const working = [
  ["anka-lab up --dry-run --context none", [bin, "up", "--dry-run", "--context", "anka-lab-bench-none"]],
  ["anka-lab push --to <nothing>", [bin, "push", "--to", "http://127.0.0.1:9", "--size", "1Mi"]],
  ["anka-lab status --context none", [bin, "status", "--context", "anka-lab-bench-none"]],
  ["anka-lab render --check", [bin, "render", "--check", "--out", join(root, "manifests")]],
];
for (const [name, argv] of working) rows.push([name, await measure(argv), "first", 300]);
rmSync(scratch, { recursive: true, force: true });

console.log(`median of ${runs} runs each; node ${process.version}; ${process.env.ANKA_LAB_FROM_SOURCE ? "from source (tsx)" : "dist/ when built and fresh"}`);
console.log(`${"command".padEnd(40)} ${"first byte".padStart(10)} ${"exit".padStart(7)}  ${"x node -e 0".padStart(11)}  target`);
for (const [name, figures, what, target] of rows) {
  const ms = figures[what];
  const verdict = target === undefined ? "" : `${ms <= target ? "✓" : "✗"} ${what === "first" ? "first byte" : "exit"} ${target} ms`;
  console.log(`${name.padEnd(40)} ${figures.first.toFixed(0).padStart(10)} ${figures.exit.toFixed(0).padStart(7)}  ${(ms / baseline.exit).toFixed(1).padStart(11)}  ${verdict}`);
}
