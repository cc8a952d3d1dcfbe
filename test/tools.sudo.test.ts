import { describe, expect, it } from "vitest";
import { sudoAsksPassword } from "../lab/tools/sudo.js";
import { FakeCluster } from "./support/fakeCluster.js";

/** sudoAsksPassword against the played sudo -n (test/support/sudo.ts, sudo(8)). */
describe("sudoAsksPassword", () => {
  it("runs sudo -n true: asks without cached credentials, not with them", async () => {
    const cluster = new FakeCluster();
    expect(await sudoAsksPassword(cluster.runner)).toBe(true);
    cluster.sudoCached = true;
    expect(await sudoAsksPassword(cluster.runner)).toBe(false);
    expect(cluster.runner.calls.map((c) => c.argv)).toEqual([
      ["sudo", "-n", "true"],
      ["sudo", "-n", "true"],
    ]);
  });
});
