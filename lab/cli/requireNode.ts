/**
 * Imported first by every script that runs tools: execa, listr2 and kubernetes-models need
 * Node.js 22.13 or newer, and on an older Node they fail with a stack trace at import time
 * (execa 10 calls Set.prototype.union). This says so in one line instead, before they load.
 */
export const MIN_NODE = [22, 13] as const;

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
  process.stderr.write(
    `anka-lab: this needs Node.js ${MIN_NODE.join(".")} or newer, and this is ${process.version}: brew upgrade node (or brew bundle in this repo)\n`,
  );
  process.exit(1);
}
