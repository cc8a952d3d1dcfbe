import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProbe, type RunningProbe } from "./support/localProbe.js";
import { startIdleProxy } from "../lab/repro/idleProxy.js";
import { PushError, pushTemplate } from "../lab/transfer/client.js";
import { sampleTemplate } from "../lab/transfer/sample.js";

/** The idle-cutoff proxy for real: sockets on 127.0.0.1 and a real silent phase from the probe. */
describe("idle-cutoff proxy", () => {
  let probe: RunningProbe;
  beforeAll(async () => {
    probe = await startProbe();
  });
  afterAll(async () => probe?.stop());

  it("cuts a push whose silent phase outlasts the idle timeout, and the client names the cause", async () => {
    const proxy = await startIdleProxy({ host: "127.0.0.1", port: probe.port }, 400);
    try {
      const template = sampleTemplate(2 * 2 ** 20, 41);
      const error = await pushTemplate({ to: proxy.url, template, holdMs: 1200, attempts: 1 }).catch((e) => e);
      expect(error).toBeInstanceOf(PushError);
      expect(error.message).toMatch(/connection reset mid-transfer: .*idle timeout such as an AWS NLB's 350 s/);
      // Two files can be open, each silent in its hold: the cut meets one or both, whichever the
      // proxy reaches before the push stops the other.
      expect([1, 2]).toContain(proxy.cuts());
    } finally {
      await proxy.close();
    }
  });

  it("lets the same push through when the idle timeout is longer than the silent phase", async () => {
    const proxy = await startIdleProxy({ host: "127.0.0.1", port: probe.port }, 3000);
    try {
      const template = sampleTemplate(2 * 2 ** 20, 42);
      const result = await pushTemplate({ to: proxy.url, template, holdMs: 1200, attempts: 1 });
      expect(result.bytes).toBe(template.totalSize);
      expect(proxy.cuts()).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("never cuts a connection that keeps moving bytes, however long it lasts", async () => {
    // 1 s: above the probe's fsync at the end of each file on a busy disk, when no byte moves (at
    // 300 ms a loaded CI machine saw the proxy cut during one).
    const proxy = await startIdleProxy({ host: "127.0.0.1", port: probe.port }, 1000);
    try {
      // 768 MiB takes longer than the 1 s idle timeout, but bytes flow the whole time.
      const result = await pushTemplate({ to: proxy.url, template: sampleTemplate(768 * 2 ** 20, 43), attempts: 1 });
      expect(result.seconds * 1000).toBeGreaterThan(1000);
      expect(proxy.cuts()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
