import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay, refreshAt } from "./rotation-policy.js";

describe("rotation policy", () => {
  it("renews at half of the lifetime", () => {
    assert.equal(refreshAt(new Date(1_000), new Date(5_000)), 3_000);
    assert.equal(refreshAt(new Date(0), new Date(86_400_000)), 43_200_000);
  });

  const cases: [number, number, number][] = [
    // attempt, random, expected ms
    [1, 0.5, 500], // no jitter at the midpoint
    [1, 0, 400], // -20 %
    [1, 0.999999, 600], // +20 %
    [2, 0.5, 1_000],
    [3, 0.5, 2_000],
    [9, 0.5, 128_000],
    [10, 0.5, 150_000], // 256 s capped
    [10, 0.999999, 150_000], // cap holds after jitter
    [10, 0, 120_000], // jitter below the cap
    [60, 0.5, 150_000], // no overflow
    [0, 0.5, 500], // defensive: attempt 0 behaves like the first retry
  ];
  for (const [attempt, random, want] of cases) {
    it(`attempt ${attempt}, random ${random} → ${want} ms`, () =>
      assert.equal(backoffDelay(attempt, random), want));
  }
});
