// Plain JavaScript, so that it runs on any Node: says in one line which Node the lab needs, from
// package.json's "engines", before anything that needs a newer one loads. Used by the anka-lab
// bin and by `npm test` (node bin/require-node.mjs && ...).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const wanted = /(\d+)\.(\d+)/.exec(pkg.engines.node);
const need = [Number(wanted[1]), Number(wanted[2])];
const [major, minor] = process.versions.node.split(".").map(Number);

/** True when this Node is new enough; otherwise prints the one line (for `what`) and returns false. */
export function nodeIsNewEnough(what = "this") {
  if (major > need[0] || (major === need[0] && minor >= need[1])) return true;
  process.stderr.write(`anka-lab: ${what} needs Node.js ${need.join(".")} or newer, and this is ${process.version}: brew upgrade node (or brew bundle in this repo)\n`);
  return false;
}

// Run as a script (npm test's first step): exit 1 on an old Node.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && !nodeIsNewEnough(process.argv[2] ?? "this")) process.exit(1);
