import { describe, expect, it } from "vitest";
import { notYet, ready, sampleWhile, waitFor, WaitTimeoutError } from "../lab/wait.js";

describe("waitFor", () => {
  it("looks once, then polls until done", async () => {
    let looks = 0;
    expect(await waitFor("three looks", async () => (++looks === 3 ? ready("done") : notYet(`look ${looks}`)), { timeoutMs: 1000, intervalMs: 5 })).toBe("done");
    expect(looks).toBe(3);
  });

  it("times out with the last reason, counting a thrown error as a reason", async () => {
    const failing = async (): Promise<never> => {
      throw new Error("connection refused");
    };
    const error = (await waitFor("never", failing, { timeoutMs: 30, intervalMs: 5 }).catch((e: unknown) => e)) as WaitTimeoutError;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.message).toBe("timed out after 0 s waiting for never: connection refused");
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    const waiting = waitFor("forever", async () => notYet("no"), { timeoutMs: 60_000, intervalMs: 1000, signal: controller.signal });
    controller.abort(new Error("interrupted"));
    await expect(waiting).rejects.toThrow("interrupted");
  });
});

describe("sampleWhile", () => {
  it("samples at the interval while the work runs and returns the work's value", async () => {
    const times: number[] = [];
    let finish!: (v: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const start = Date.now();
    const sampled = sampleWhile(work, async () => void times.push(Date.now() - start), 40);
    await waitFor("three samples", async () => (times.length >= 3 ? ready(true) : notYet("")), { timeoutMs: 2000, intervalMs: 5 });
    finish("pushed");
    expect(await sampled).toBe("pushed");
    // Never back to back: consecutive samples are at least most of an interval apart.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(30);
  });

  it("rethrows the work's failure after sampling stops", async () => {
    let samples = 0;
    await expect(sampleWhile(Promise.reject(new Error("reset")), async () => void samples++, 10)).rejects.toThrow("reset");
    expect(samples).toBe(1);
  });
});
