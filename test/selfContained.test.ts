import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Paths outside the repository that a clone does not have; spelled in pieces so this file does not match itself. */
const OUTSIDE = [
  ["..", "shared"].join("/"),
  ["shared", "reference"].join("/"),
  ["shared", "audit"].join("/"),
  ["shared", "seed"].join("/"),
];
/** The unpublished deployment guide the project started from, named instead of Veertu's page it reproduces. */
const SEED = /\bseed(?:'s)? (?:FAQ|guide|checklist)\b|\bthe seed[']s\b/i;

it("no tracked file points outside the repository", () => {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
  expect(files.length).toBeGreaterThan(0);
  const hits: string[] = [];
  for (const file of files) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    readFileSync(path, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (OUTSIDE.some((needle) => line.includes(needle)) || SEED.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(hits, "cite the upstream source (repository and path, or a URL) or docs/sources.md instead").toEqual([]);
});
