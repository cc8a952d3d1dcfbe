import { describe, expect, it } from "vitest";
import { ankaCliInstalled, ankaRegistryPush } from "../lab/tools/ankaCli.js";
import { FakeRunner } from "./support/fakeRunner.js";

/**
 * The Anka CLI's argv only: no model of the anka command exists here (it runs on a Mac with Anka),
 * so the recording runner answers nothing and the calls it saw are what is checked.
 */
describe("the Anka CLI", () => {
  it("asks anka version, and counts a CLI that does not answer as not installed", async () => {
    const runner = new FakeRunner();
    expect(await ankaCliInstalled(runner)).toBe(false);
    expect(runner.calls.map((c) => c.argv)).toEqual([["anka", "version"]]);
  });

  it("pushes with anka registry -r URL push -t TAG TEMPLATE", async () => {
    const runner = new FakeRunner();
    await expect(ankaRegistryPush(runner, "http://127.0.0.1:8089", "anka-lab-smoke", "sonoma-14")).rejects.toThrow(/nobody scripted/);
    expect(runner.calls.map((c) => c.argv)).toEqual([["anka", "registry", "-r", "http://127.0.0.1:8089", "push", "-t", "anka-lab-smoke", "sonoma-14"]]);
  });
});
