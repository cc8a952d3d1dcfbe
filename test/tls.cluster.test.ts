import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LabContext } from "../lab/context.js";
import { StateStore } from "../lab/state.js";
import { ingressTlsStep } from "../lab/lifecycle/steps/tls.js";
import { loadConfig } from "../lab/config/load.js";
import { CONTEXT } from "./cluster/controlPlane.js";
import { contextRunner, controlPlaneAvailable, inPodCommands, testKubeconfig, uniqueNamespace, useControlPlane } from "./cluster/fixture.js";
import { hasBinary, skipReason } from "./support/binaries.js";
import { craftedConfig } from "./support/config.js";
import { FakeRunner } from "./support/fakeRunner.js";
import { recordingReport, testContext } from "./support/context.js";

/** openssl and kubectl run for real, kubectl against the control-plane tier's API server. */
function lab(namespace: string) {
  const runner = contextRunner(inPodCommands(controlPlane()));
  runner.handle((argv) => {
    if (argv[0] !== "openssl") return undefined;
    execFileSync(argv[0], argv.slice(1), { stdio: "ignore" });
    return {};
  });
  const { config } = loadConfig({ env: { ANKA_LAB_NAMESPACE: namespace }, flags: { context: CONTEXT, "ingress.tls": "true" } });
  const ctx = testContext(config, runner, { waits: { timeoutMs: 1000, intervalMs: 10 } });
  return { runner, ctx, dir: ctx.state.dir };
}

const report = () => {
  return recordingReport();
};

const runnable = hasBinary("openssl");
if (!runnable) skipReason("Ingress TLS certificate", "openssl", "install openssl");
const available = controlPlaneAvailable("test/tls.cluster.test.ts");
const controlPlane = available
  ? useControlPlane()
  : () => {
      throw new Error("no control plane");
    };

describe.runIf(runnable && available)("Ingress TLS option", () => {
  it("is off by default", () => {
    expect(ingressTlsStep.enabled!(new LabContext(craftedConfig(() => {}), new FakeRunner(), new StateStore(tmpdir()), {} as never))).toBe(false);
  });

  it("makes a CA and a certificate for both hosts that the CA verifies, and applies them as a labelled TLS Secret", async () => {
    testKubeconfig(controlPlane());
    const namespace = uniqueNamespace();
    execFileSync("kubectl", ["--context", CONTEXT, "create", "namespace", namespace], { stdio: "ignore" });
    const { runner, ctx, dir } = lab(namespace);
    const r = report();
    await ingressTlsStep.run(ctx, r);
    const tls = join(dir, "tls");
    expect(execFileSync("openssl", ["verify", "-CAfile", join(tls, "ca.crt"), join(tls, "tls.crt")], { encoding: "utf8" })).toMatch(/tls\.crt: OK/);
    const text = execFileSync("openssl", ["x509", "-in", join(tls, "tls.crt"), "-noout", "-text"], { encoding: "utf8" });
    expect(text).toMatch(/DNS:anka\.registry, DNS:anka\.controller/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    const secret = JSON.parse(execFileSync("kubectl", ["--context", CONTEXT, "get", "secret", "anka-lab-tls", "-n", namespace, "-o", "json"], { encoding: "utf8" }));
    expect(secret).toMatchObject({ kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "anka-lab-tls", namespace, labels: { "app.kubernetes.io/part-of": "anka-lab" } } });
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
