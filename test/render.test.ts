import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand, type Io } from "../lab/cli/command.js";
import { captureIo } from "./support/io.js";
import { hasBinary, skipReason } from "./support/binaries.js";
import { renderCommand, renderSpec } from "../lab/commands/render.js";


const render = (io: Io, ...argv: string[]) => runCommand(renderSpec, renderCommand, argv, io);

describe("lab:render", () => {
  it("writes the manifests to --out, and a second run changes nothing", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "anka-lab-out-")), "m");
    const io = captureIo();
    expect(await render(io, "--out", out)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["00-namespace.yaml", "10-etcd.yaml", "20-registry-storage.yaml", "30-build-cloud.yaml", "40-ingress.yaml", "kustomization.yaml"]);
    expect(await render(io, "--out", out)).toBe(0);
    expect(io.stdout.at(-1)).toBe(`${out} already up to date (6 files).`);
  });

  it("--check exits 1 with the diff when the folder is stale, and writes nothing", async () => {
    const out = mkdtempSync(join(tmpdir(), "anka-lab-out-"));
    await render(captureIo(), "--out", out);
    const stale = readFileSync(join(out, "40-ingress.yaml"), "utf8").replace('proxy-body-size: "0"', 'proxy-body-size: "1m"');
    writeFileSync(join(out, "40-ingress.yaml"), stale);
    const io = captureIo();
    expect(await render(io, "--out", out, "--check")).toBe(1);
    expect(io.stdout.join("\n")).toContain('-    nginx.ingress.kubernetes.io/proxy-body-size: "1m"\n+    nginx.ingress.kubernetes.io/proxy-body-size: "0"');
    expect(io.stderr).toEqual([`checking ${out} against what lab/ renders…`, expect.stringMatching(/differs from what lab\/ renders in 1 file\(s\); run npm run lab:render to update it\.$/)]);
    expect(readFileSync(join(out, "40-ingress.yaml"), "utf8")).toBe(stale);
  });

  it("refuses bad config and a policy violation without touching the disk", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "anka-lab-out-")), "m");
    const bad = captureIo({ ANKA_LAB_ETCD_REPLICAS: "2" });
    expect(await render(bad, "--out", out)).toBe(2);
    expect(bad.stderr).toEqual([
      `rendering the lab into ${out}…`,
      "anka-lab: the lab config has 1 problem(s):",
      `  etcd.replicas = "2": must be 3, 5 or 7: odd, so a majority survives a lost member, and at most 7 as etcd's FAQ advises (set by ANKA_LAB_ETCD_REPLICAS)`,
    ]);
    const limited = captureIo();
    expect(await render(limited, "--out", out, "--set", "registry.memoryLimit=2Gi")).toBe(2);
    expect(limited.stderr[0]).toBe(`rendering the lab into ${out}…`);
    expect(limited.stderr[1]).toBe("anka-lab: refusing to render the lab:");
    expect(limited.stderr[2]).toMatch(/registry container has memory limit 2Gi/);
    expect(existsSync(out)).toBe(false);
  });
});

it("the render path imports each kubernetes-models class from its own file, never an API group's index", () => {
  // "kubernetes-models/v1" re-exports every model of the group, and each model loads its validators:
  // 639 modules for lab/topology/render.ts through the indexes against 202 through the files, most
  // of lab:render's time (npm run bench:start). Type-only imports cost nothing at run time.
  const dir = join(import.meta.dirname, "..", "lab", "topology");
  const barrels = readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) =>
      readFileSync(join(dir, name), "utf8")
        .split("\n")
        .filter((line) => /^import (?!type )/.test(line) && /from "kubernetes-models\/(?:[\w.-]+\/)?v\d\w*"/.test(line))
        .map((line) => `${name}: ${line}`),
    );
  expect(barrels).toEqual([]);
});

// A full disk mid-render, for real: the folder sits on a tiny tmpfs in a private mount namespace.
const canMount = process.platform === "linux" && process.getuid?.() === 0 && hasBinary("unshare");
if (!canMount) skipReason("lab:render on a full disk", "root with unshare (util-linux)", "run as root on Linux");

describe.runIf(canMount)("lab:render on a full disk", () => {
  it("leaves the folder wholly old, says so in one line, and leaves no temp files", () => {
    const root = join(import.meta.dirname, "..");
    const mnt = mkdtempSync(join(tmpdir(), "anka-lab-full-"));
    const files = readdirSync(join(root, "manifests"));
    const total = files.reduce((n, f) => n + statSync(join(root, "manifests", f)).size, 0);
    // Room for the current files (in 4 KiB pages) and a little more, not for a second copy.
    const size = files.reduce((n, f) => n + Math.ceil(statSync(join(root, "manifests", f)).size / 4096) * 4096, 0) + 8192;
    expect(total).toBeGreaterThan(8192);
    const script = [
      'mount -t tmpfs -o size="$1" tmpfs "$2"',
      'mkdir "$2/m" && cp "$3"/manifests/* "$2/m"/',
      '"$4" "$3"/bin/anka-lab.mjs render --set namespace=other --out "$2/m" 2>"$2.err"; echo "exit $?"',
      'cat "$2.err"',
      'for f in "$2"/m/*.yaml; do printf "%s %s\\n" "$(basename "$f")" "$(grep -c "namespace: other" "$f")"; done',
      'ls -A "$2" | grep -vc "^m$" || true',
    ].join("\n");
    const out = execFileSync("unshare", ["-m", "sh", "-c", script, "sh", String(size), mnt, root, process.execPath], { encoding: "utf8", cwd: root });
    const [exit, progress, err, ...rest] = out.trim().split("\n");
    expect(exit).toBe("exit 1");
    expect(progress).toBe(`rendering the lab into ${mnt}/m…`);
    expect(err).toMatch(/^anka-lab: could not write the manifests to .* \(ENOSPC\); it is unchanged\. Free some space/);
    const counts = rest.slice(0, -1);
    expect(counts.length).toBe(files.length);
    expect(counts.every((line) => line.endsWith(" 0"))).toBe(true);
    expect(rest.at(-1)).toBe("0");
  });
});
