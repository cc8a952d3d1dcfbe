import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LabContext } from "../lab/context.js";
import { StateStore } from "../lab/state.js";
import { ingressTlsStep } from "../lab/steps/tls.js";
import { hasBinary, skipReason } from "./support/binaries.js";
import { craftedConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";

/** openssl runs for real; kubectl is scripted (create secret --dry-run=client answers as kubectl prints it). */
function lab() {
  const runner = new FakeRunner();
  runner.handle((argv) => {
    if (argv[0] !== "openssl") return undefined;
    execFileSync(argv[0], argv.slice(1), { stdio: "ignore" });
    return {};
  });
  runner.handle((argv) => {
    if (argv[3] !== "create") return undefined;
    const file = (flag: string) => readFileSync(argv.find((a) => a.startsWith(flag))!.split("=")[1]!).toString("base64");
    return { stdout: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: argv[6], namespace: argv[8] }, type: "kubernetes.io/tls", data: { "tls.crt": file("--cert="), "tls.key": file("--key=") } }) };
  });
  runner.handle((argv) => (argv[3] === "apply" ? { stdout: "secret/anka-lab-tls serverside-applied\n" } : undefined));
  const dir = mkdtempSync(join(tmpdir(), "anka-lab-tls-"));
  const ctx = new LabContext(craftedConfig((c) => (c.ingress.tls = true)), runner, new StateStore(dir), {
    dryRun: false,
    waits: { timeoutMs: 1000, intervalMs: 10 },
    signal: new AbortController().signal,
    hostsFile: join(dir, "hosts"),
    interactive: false,
    confirm: async () => false,
    needsSudo: false,
  });
  return { runner, ctx, dir };
}

const report = () => {
  const lines: string[] = [];
  return { lines, output: (l: string) => lines.push(l), skip: (l: string) => lines.push(`skip: ${l}`) };
};

const runnable = hasBinary("openssl");
if (!runnable) skipReason("Ingress TLS certificate", "openssl", "install openssl");

describe.runIf(runnable)("Ingress TLS option", () => {
  it("is off by default", () => {
    expect(ingressTlsStep.enabled!(new LabContext(craftedConfig(() => {}), new FakeRunner(), new StateStore(tmpdir()), {} as never))).toBe(false);
  });

  it("makes a CA and a certificate for both hosts that the CA verifies, and applies them as a labelled TLS Secret", async () => {
    const { runner, ctx, dir } = lab();
    const r = report();
    await ingressTlsStep.run(ctx, r);
    const tls = join(dir, "tls");
    expect(execFileSync("openssl", ["verify", "-CAfile", join(tls, "ca.crt"), join(tls, "tls.crt")], { encoding: "utf8" })).toMatch(/tls\.crt: OK/);
    const text = execFileSync("openssl", ["x509", "-in", join(tls, "tls.crt"), "-noout", "-text"], { encoding: "utf8" });
    expect(text).toMatch(/DNS:anka\.registry, DNS:anka\.controller/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    const apply = runner.calls.find((c) => c.argv[3] === "apply")!;
    const secret = JSON.parse(apply.options!.input!);
    expect(secret).toMatchObject({ kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "anka-lab-tls", namespace: "anka", labels: { "app.kubernetes.io/part-of": "anka-lab" } } });
    expect(Buffer.from(secret.data["tls.crt"], "base64").toString()).toBe(readFileSync(join(tls, "tls.crt"), "utf8"));
    expect(r.lines.at(-1)).toMatch(/^made .*tls\.crt for anka\.registry, anka\.controller/);

    // A rerun reuses the CA a user may already trust.
    const again = report();
    const before = runner.calls.length;
    await ingressTlsStep.run(ctx, again);
    expect(runner.calls.slice(before).filter((c) => c.argv[0] === "openssl")).toEqual([]);
    expect(again.lines.at(-1)).toMatch(/^reused /);
  });
});
