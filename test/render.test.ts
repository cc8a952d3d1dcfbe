import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand, type Io } from "../lab/cli/command.js";
import { captureIo } from "./support/io.js";
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
    expect(io.stderr.at(-1)).toMatch(/differs from what lab\/ renders in 1 file\(s\); run npm run lab:render to update it\.$/);
    expect(readFileSync(join(out, "40-ingress.yaml"), "utf8")).toBe(stale);
  });

  it("refuses bad config and a policy violation without touching the disk", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "anka-lab-out-")), "m");
    const bad = captureIo({ ANKA_LAB_ETCD_REPLICAS: "2" });
    expect(await render(bad, "--out", out)).toBe(2);
    expect(bad.stderr).toEqual([
      "anka-lab: the lab config has 1 problem(s):",
      `  etcd.replicas = "2": must be 3, 5 or 7: odd, so a majority survives a lost member, and at most 7 as etcd's FAQ advises (set by ANKA_LAB_ETCD_REPLICAS)`,
    ]);
    const limited = captureIo();
    expect(await render(limited, "--out", out, "--set", "registry.memoryLimit=2Gi")).toBe(2);
    expect(limited.stderr[0]).toBe("anka-lab: refusing to render the lab:");
    expect(limited.stderr[1]).toMatch(/registry container has memory limit 2Gi/);
    expect(existsSync(out)).toBe(false);
  });
});
