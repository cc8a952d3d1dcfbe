#!/usr/bin/env node
// anka-lab <command> [flags]: the lab's command line, also behind every `npm run lab:*` script.
// Runs the compiled JavaScript in dist/ (built by `npm ci` through "prepare") when it is at least
// as new as every source file in lab/; otherwise, in a checkout being edited, the TypeScript
// through tsx, which is slower to start but never stale.
import { readdirSync, statSync } from "node:fs";
import module from "node:module";
import { nodeIsNewEnough } from "./require-node.mjs";

const root = new URL("../", import.meta.url);
const verb = process.argv[2];
// lab:render spawns nothing and runs on an older Node too; everything else needs execa and listr2.
if (verb !== "render" && !nodeIsNewEnough()) process.exit(1);
// V8's code cache of the modules this command loads, kept between runs in the OS temp folder
// (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir, Node >= 22.1): a command
// typed many times a day compiles its modules once.
module.enableCompileCache?.();

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let built = 0;
try {
  built = statSync(new URL("dist/.built", root)).mtimeMs;
} catch {
  // Not built: run from source.
}
const labDir = new URL("lab", root).pathname;
let entry;
// ANKA_LAB_FROM_SOURCE=1 forces the TypeScript (npm run bench:start uses it to compare).
if (!process.env.ANKA_LAB_FROM_SOURCE && built > 0 && built >= newestSource(labDir)) entry = new URL("dist/lab/cli/main.js", root);
else {
  const { register } = await import("tsx/esm/api");
  register();
  entry = new URL("lab/cli/main.ts", root);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
