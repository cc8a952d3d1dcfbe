import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/** An older Node on this machine, if any (Debian's, on our CI machines): the scripts must refuse it in one line. */
function olderNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(candidate) || candidate === process.execPath) continue;
    try {
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
      if (Number(version.slice(1).split(".")[0]) < 22) return candidate;
    } catch {
      // Not runnable.
    }
  }
  return undefined;
}

const old = olderNode();
if (!old) console.warn('skipping "scripts on an old Node": no Node.js older than 22 on this machine to try them with');

describe.runIf(old)("scripts on an old Node", () => {
  const root = join(import.meta.dirname, "..");

  it("npm test says in one line that it needs Node 22, before tsc or vitest run", async () => {
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts.test).toMatch(/^node bin\/require-node\.mjs "npm test" && /);
    const error = await promisify(execFile)(old!, [join(root, "bin", "require-node.mjs"), "npm test"], { cwd: root }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr.trim()).toMatch(/^anka-lab: npm test needs Node\.js 22\.13 or newer, and this is v\d+\.\d+\.\d+: brew upgrade node \(or brew bundle in this repo\)$/);
  });

  it("the anka-lab bin refuses it in one line too", async () => {
    const error = await promisify(execFile)(old!, [join(root, "bin", "anka-lab.mjs"), "status"], { cwd: root }).catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr.trim()).toMatch(/^anka-lab: this needs Node\.js 22\.13 or newer, and this is v\d+\.\d+\.\d+: brew upgrade node \(or brew bundle in this repo\)$/);
  });

});
