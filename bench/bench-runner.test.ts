import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QUICK_WARMUP_CAP_S, warmupSecondsFor } from "./bench-runner.js";

describe("warmupSecondsFor", () => {
  const cases: [string, number | undefined, "quick" | "full", number][] = [
    ["no warm-up by default", undefined, "full", 0],
    ["no warm-up by default (quick)", undefined, "quick", 0],
    ["the path's seconds in a full run", 5, "full", 5],
    ["capped under --quick", 5, "quick", QUICK_WARMUP_CAP_S],
    ["shorter than the cap stays", 0.5, "quick", 0.5],
    ["zero is none", 0, "full", 0],
  ];
  for (const [name, warmupSeconds, mode, want] of cases) {
    it(name, () => {
      const path = warmupSeconds === undefined ? { name: "p" } : { name: "p", warmupSeconds };
      assert.equal(warmupSecondsFor(path, mode), want);
    });
  }
  it("rejects negative, non-finite and over-a-minute values, naming the path", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 61]) {
      assert.throws(
        () => warmupSecondsFor({ name: "ambit-x", warmupSeconds: bad }, "full"),
        /ambit-x: warmupSeconds must be 0\.\.60/,
      );
    }
  });
  it("the real ambit paths warm up, and quick keeps at most the cap", async () => {
    const { benchPath: l4 } = await import("./paths/ambit-l4.path.js");
    const { benchPath: wp } = await import("./paths/waypoint.path.js");
    assert.ok(warmupSecondsFor(wp, "full") >= 5);
    assert.ok(warmupSecondsFor(l4, "full") > 0);
    assert.ok(warmupSecondsFor(l4, "quick") <= QUICK_WARMUP_CAP_S);
  });
});
