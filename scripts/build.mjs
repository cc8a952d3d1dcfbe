// `npm run build` (and `prepare`, which `npm ci` runs after installing: "npm ci: … preprepare, prepare,
// postprepare", https://docs.npmjs.com/cli/v11/using-npm/scripts#npm-ci): compiles lab/ to dist/ for the anka-lab
// bin, which then starts without transpiling. Copies the files tsc does not (the probe's
// server.mjs, read at run time), then writes dist/.built, which the bin compares with lab/.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
rmSync(new URL("dist", root), { recursive: true, force: true });
// `npm ci --omit=dev` runs prepare too, without TypeScript: then the bin runs the sources through tsx.
if (!existsSync(new URL("node_modules/typescript/bin/tsc", root))) {
  console.warn("anka-lab: no TypeScript here (installed without dev dependencies); dist/ not built, the commands run from source through tsx");
  process.exit(0);
}
execFileSync(process.execPath, [new URL("node_modules/typescript/bin/tsc", root).pathname, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
mkdirSync(new URL("dist/lab/transfer", root), { recursive: true });
cpSync(new URL("lab/transfer/probeServer.mjs", root), new URL("dist/lab/transfer/probeServer.mjs", root));
writeFileSync(new URL("dist/.built", root), new Date().toISOString() + "\n");
