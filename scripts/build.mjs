// `npm run build` (and `prepare`, which `npm ci` runs): compiles lab/ to dist/ for the anka-lab
// bin, which then starts without transpiling. Copies the files tsc does not (the probe's
// server.mjs, read at run time), then writes dist/.built, which the bin compares with lab/.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
rmSync(new URL("dist", root), { recursive: true, force: true });
execFileSync(process.execPath, [new URL("node_modules/typescript/bin/tsc", root).pathname, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
mkdirSync(new URL("dist/lab/probe", root), { recursive: true });
cpSync(new URL("lab/probe/server.mjs", root), new URL("dist/lab/probe/server.mjs", root));
writeFileSync(new URL("dist/.built", root), new Date().toISOString() + "\n");
