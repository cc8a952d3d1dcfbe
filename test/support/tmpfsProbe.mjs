// Runs the probe on a small tmpfs, for disk-full cases. Started as
//   unshare -m --propagation private node tmpfsProbe.mjs SIZE PROBE_CODE
// so the mount exists only in this process's private mount namespace (unshare(1), mount_namespaces(7))
// and vanishes with it; the test reaches the files through /proc/<pid>/root (proc(5)).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";

const [size, code] = process.argv.slice(2);
const volume = dirname(process.env.PROBE_ROOT);
mkdirSync(volume, { recursive: true });
execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", volume]);
await import(pathToFileURL(code).href);
