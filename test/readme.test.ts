import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { withGeneratedBlocks } from "../scripts/docs.js";

const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

it("README's flag and config tables are what scripts/docs.ts generates from the specs and the schema", () => {
  // withGeneratedBlocks throws when a block's markers are missing, so both blocks must be there.
  expect(withGeneratedBlocks(readme)).toBe(readme);
  expect(readme).toMatch(/<!-- flags:start -->\n#### `npm run lab:up`\n[\s\S]*\| `--check` \| write nothing;[^\n]*\|\n<!-- flags:end -->/);
  expect(readme).toMatch(/<!-- config-keys:start -->\n\| key \| default \| environment \| meaning \|\n[\s\S]*\| `etcd\.replicas` \| `3` \| `ANKA_LAB_ETCD_REPLICAS` \|[\s\S]*<!-- config-keys:end -->/);
});

it("README's and --help's step lists are THE lifecycle lists, and each step's details name steps of that list, in its order", async () => {
  const { upSteps } = await import("../lab/lifecycle/up.js");
  const { stepListsModule, STEP_LISTS_FILE } = await import("../scripts/docs.js");
  expect(readFileSync(STEP_LISTS_FILE, "utf8")).toBe(stepListsModule());
  const titles = upSteps({ hosts: "plan" }).map((s) => s.title);
  const block = readme.slice(readme.indexOf("<!-- up-steps:start -->"), readme.indexOf("<!-- up-steps:end -->"));
  expect([...block.matchAll(/^\d+\. \*\*(.+?)\*\*/gm)].map((m) => m[1])).toEqual(titles);
  // "Each, in detail": every bold lead of a bullet is a step title, and they come in the list's order.
  const details = readme.slice(readme.indexOf("Each, in detail:"), readme.indexOf("After the last step"));
  const leads = [...details.matchAll(/^- ((?:\*\*[^*]+\*\*(?:, )?)+) —/gm)].flatMap((m) => [...m[1]!.matchAll(/\*\*([^*]+)\*\*/g)].map((t) => t[1]!));
  expect(leads).toEqual(titles.filter((t) => leads.includes(t)));
  expect(titles.filter((t) => !leads.includes(t))).toEqual(["Ingress TLS certificate"]);
});

it("README has the two one-line entry points and .ci/run runs the test line", () => {
  expect(readme).toContain("brew bundle && npm ci && npm run lab:up");
  expect(readme).toContain("npm ci && npm test");
  const ci = readFileSync(join(root, ".ci", "run"), "utf8");
  expect(ci.trimEnd().split("\n").at(-1)).toBe("npm ci && npm test");
});

describe("npm run docs:check and npm run docs", () => {
  const tsx = join(root, "node_modules", ".bin", "tsx");
  const docs = (...argv: string[]) => promisify(execFile)(tsx, [join(root, "scripts", "docs.ts"), ...argv], { cwd: root }).catch((e) => e);
  const scratch = () => join(mkdtempSync(join(tmpdir(), "anka-lab-docs-")), "README.md");

  it("--check passes on this README, and writes nothing", async () => {
    const { code, stdout } = await docs("--check");
    expect(code ?? 0).toBe(0);
    expect(stdout.trim()).toBe(`${join(root, "README.md")} and ${join(root, "lab", "commands", "stepLists.ts")} are up to date.`);
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe(readme);
  });

  it("--check on a README with a stale default exits 1 with the diff and leaves it alone; without --check it is rewritten", async () => {
    const file = scratch();
    const stale = readme.replace("| `etcd.replicas` | `3` |", "| `etcd.replicas` | `5` |");
    expect(stale).not.toBe(readme);
    writeFileSync(file, stale);
    // The step lists go to a scratch file too: a test never writes the repository's own files.
    const lists = join(dirname(file), "stepLists.ts");
    writeFileSync(lists, readFileSync(join(root, "lab", "commands", "stepLists.ts")));
    const check = await docs("--check", "--readme", file, "--lists", lists);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("-| `etcd.replicas` | `5` |");
    expect(check.stdout).toContain("+| `etcd.replicas` | `3` |");
    expect(check.stderr.trim()).toBe(`anka-lab: ${file} differs from what the command specs, the config schema and the step lists generate; run npm run docs to update it.`);
    expect(readFileSync(file, "utf8")).toBe(stale);
    const write = await docs("--readme", file, "--lists", lists);
    expect(write.code ?? 0).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(readme);
  }, 30_000);

  it("a README without the markers is refused in one line naming the block", async () => {
    const file = scratch();
    writeFileSync(file, readme.replace("<!-- config-keys:end -->", ""));
    const { code, stderr } = await docs("--check", "--readme", file, "--lists", join(dirname(file), "stepLists.ts"));
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([`anka-lab: ${file} has no config-keys block`, "  next: put the lines <!-- config-keys:start --> and <!-- config-keys:end --> where it belongs, then npm run docs"]);
  }, 30_000);
});
