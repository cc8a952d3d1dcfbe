import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

it("the summary line counts the tests of a tier whose setup failed as failed, not skipped", async () => {
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const reporter = join(root, "test", "support", "summaryReporter.ts");
  const run = await promisify(execFile)(process.execPath, [vitest, "run", "--root", join(root, "test", "fixtures", "reporter"), "--reporter", reporter], {
    cwd: root,
    env: { ...process.env, CI: "" },
  }).catch((e) => e);
  expect(run.stdout.trim().split("\n").at(-1)).toBe("Tests: 1 passed, 2 failed, 1 skipped");
}, 60_000);
