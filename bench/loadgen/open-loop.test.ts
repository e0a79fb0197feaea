import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chargedLatencyNs, OpenLoopSchedule } from "./open-loop.js";

describe("OpenLoopSchedule", () => {
  it("releases requests at their intended times regardless of progress", () => {
    const s = new OpenLoopSchedule(1_000, 1000, 5); // one per ms
    assert.deepEqual(s.takeDue(999), []);
    assert.deepEqual(s.takeDue(1_000), [1_000]);
    assert.deepEqual(s.takeDue(3_500_000), [1_001_000, 2_001_000, 3_001_000]);
    assert.equal(s.untilNextNs(3_500_000), 501_000);
    assert.deepEqual(s.takeDue(1e12), [4_001_000]);
    assert.equal(s.untilNextNs(1e12), undefined);
    assert.equal(s.issued, 5);
  });
  it("rejects a non-positive rate", () => {
    assert.throws(() => new OpenLoopSchedule(0, 0, 1), RangeError);
    assert.throws(() => new OpenLoopSchedule(0, Number.NaN, 1), RangeError);
  });
});

describe("chargedLatencyNs", () => {
  const table: [string, number, number, number, number, number][] = [
    // name, intended, connFree, sent, done, expected
    ["sent on time", 100, 0, 100, 400, 300],
    ["our timer was late, connection idle: lateness not charged", 100, 0, 900, 1_200, 300],
    ["all connections busy until 500: wait 100→500 charged", 100, 500, 500, 800, 700],
    ["busy until 500, timer late until 900: only 100→500 charged", 100, 500, 900, 1_200, 700],
    ["connection freed after we sent (impossible) is capped at sent", 100, 2_000, 900, 1_200, 1_100],
  ];
  for (const [name, intended, free, sent, done, want] of table) {
    it(name, () => assert.equal(chargedLatencyNs(intended, free, sent, done), want));
  }
});
