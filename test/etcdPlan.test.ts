import { describe, expect, it } from "vitest";
import { describeStep, planMembership, type MemberState } from "../lab/etcd/plan.js";

/** n healthy, started members etcd-0..etcd-<n-1>; `patch` changes some by ordinal. */
function members(n: number, patch: Record<number, Partial<MemberState>> = {}): MemberState[] {
  return Array.from({ length: n }, (_, i) => ({ id: `id${i}`, ordinal: i, started: true, healthy: true, lostData: false, ...patch[i] }));
}

const kinds = (plan: ReturnType<typeof planMembership>) => ("steps" in plan ? plan.steps.map((s) => `${s.kind} ${s.ordinal}`) : plan.refused);

describe("etcd membership plan", () => {
  it("does nothing when the members already match", () => {
    expect(planMembership(members(3), 3)).toEqual({ steps: [] });
  });

  it("adds members one at a time, upward, each counted in the next step's quorum", () => {
    expect(planMembership(members(3), 5)).toEqual({
      steps: [
        { kind: "add", ordinal: 3, size: 4 },
        { kind: "add", ordinal: 4, size: 5 },
      ],
    });
    expect(kinds(planMembership(members(3), 7))).toEqual(["add 3", "add 4", "add 5", "add 6"]);
  });

  it("removes members one at a time from the highest ordinal, as the StatefulSet scales down", () => {
    expect(planMembership(members(5), 3)).toEqual({
      steps: [
        { kind: "remove", ordinal: 4, id: "id4", size: 4 },
        { kind: "remove", ordinal: 3, id: "id3", size: 3 },
      ],
    });
  });

  it("adds with one of three down: 2 healthy still make quorum of 3 ... but not of 4, so it refuses", () => {
    const plan = planMembership(members(3, { 1: { healthy: false } }), 5);
    expect(plan).toEqual({ refused: expect.stringMatching(/^adding etcd-3 would make 4 members needing 3 for quorum while only 2 are healthy/) });
  });

  it("refuses a removal that would leave fewer healthy members than quorum", () => {
    // 5 members, etcd-0 and etcd-1 down: removing healthy etcd-4 leaves 2 healthy of 4 (quorum 3).
    const plan = planMembership(members(5, { 0: { healthy: false }, 1: { healthy: false } }), 3);
    expect(plan).toEqual({ refused: expect.stringMatching(/^removing etcd-4 would leave 2 healthy of 4 members, below the 3 quorum needs/) });
  });

  it("removes an unhealthy top member without counting it as a loss", () => {
    expect(kinds(planMembership(members(5, { 4: { healthy: false }, 0: { healthy: false } }), 3))).toEqual(["remove 4", "remove 3"]);
  });

  it("refuses any change without quorum, naming the counts", () => {
    expect(planMembership(members(3, { 1: { healthy: false }, 2: { healthy: false } }), 5)).toEqual({
      refused: expect.stringMatching(/^etcd has no quorum: 1 of 3 members healthy, 2 needed/),
    });
  });

  it("leaves the right members whose pods are merely gone to apply, even without quorum", () => {
    // `kubectl scale statefulset etcd --replicas=1` by hand, or lab:repro etcd-quorum --keep: the
    // members are still the wanted three; apply brings their pods back with their data.
    expect(planMembership(members(3, { 1: { healthy: false }, 2: { healthy: false } }), 3)).toEqual({ steps: [] });
  });

  it("replaces a member whose data dir was lost, before resizing", () => {
    const lost = { healthy: false, lostData: true };
    expect(planMembership(members(3, { 1: lost }), 3)).toEqual({ steps: [{ kind: "repair", ordinal: 1, id: "id1", size: 3 }] });
    expect(kinds(planMembership(members(3, { 1: lost }), 5))).toEqual(["repair 1", "add 3", "add 4"]);
    // A lost member the new size drops is removed, not repaired.
    expect(kinds(planMembership(members(5, { 4: lost }), 3))).toEqual(["remove 4", "remove 3"]);
  });

  it("starts a member an interrupted run added but never started, instead of adding it twice", () => {
    const plan = planMembership(members(4, { 3: { started: false, healthy: false } }), 5);
    expect(kinds(plan)).toEqual(["start 3", "add 4"]);
  });

  it("refuses members that are not the StatefulSet's contiguous ordinals", () => {
    const gap = [...members(2), { id: "x", ordinal: 3, started: true, healthy: true, lostData: false }];
    expect(planMembership(gap, 3)).toEqual({ refused: expect.stringMatching(/not etcd-0\.\.etcd-2/) });
  });

  it("describes each step in one line", () => {
    expect(describeStep({ kind: "add", ordinal: 3, size: 4 })).toBe("add member etcd-3 and start it (4 members)");
    expect(describeStep({ kind: "remove", ordinal: 4, id: "a", size: 4 })).toBe("remove member etcd-4 and its volume (4 members)");
  });
});
