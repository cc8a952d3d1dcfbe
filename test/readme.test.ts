import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { configKeysMarkdown } from "../lab/config/docs.js";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

it("README lists every config key with its default, as the code defines them", () => {
  const block = /<!-- config-keys:start -->\n([\s\S]*?)\n<!-- config-keys:end -->/.exec(readme)?.[1];
  expect(block, "README needs the config-keys block").toBeDefined();
  expect(block).toBe(configKeysMarkdown());
});

it("README has the two one-line entry points and .ci/run runs the test line", () => {
  expect(readme).toContain("brew bundle && npm ci && npm run lab:up");
  expect(readme).toContain("npm ci && npm test");
  const ci = readFileSync(join(import.meta.dirname, "..", ".ci", "run"), "utf8");
  expect(ci.trimEnd().split("\n").at(-1)).toBe("npm ci && npm test");
});

it("README lists every flag of every command, as --help does", async () => {
  const { flagsMarkdown } = await import("../lab/cli/docs.js");
  const { COMMAND_SPECS } = await import("../lab/commands/index.js");
  const block = /<!-- flags:start -->\n([\s\S]*?)\n<!-- flags:end -->/.exec(readme)?.[1];
  expect(block).toBe(flagsMarkdown(COMMAND_SPECS));
});
