import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bucketIndex, bucketRange, LatencyHistogram } from "./histogram.js";

describe("bucketIndex / bucketRange", () => {
  it("is exact below 128 ns", () => {
    for (const v of [0, 1, 64, 127]) assert.deepEqual(bucketRange(bucketIndex(v)), { lo: v, width: 1 });
  });
  it("keeps every value inside its bucket with ≤ 1/64 relative width", () => {
    for (const v of [128, 129, 255, 256, 1000, 123_456, 9_999_999, 2 ** 35 + 17]) {
      const { lo, width } = bucketRange(bucketIndex(v));
      assert.ok(v >= lo && v < lo + width, `${v} in [${lo}, ${lo + width})`);
      assert.ok(width / lo <= 1 / 64, `width ${width} at ${lo}`);
    }
  });
  it("is monotonic", () => {
    let prev = -1;
    for (let v = 0; v < 1e6; v += 37) {
      const i = bucketIndex(v);
      assert.ok(i >= prev);
      prev = i;
    }
  });
  it("clamps negative values to zero", () => {
    assert.equal(bucketIndex(-5), 0);
  });
});

describe("LatencyHistogram", () => {
  it("reports percentiles within 1.6 % of the exact ones", () => {
    const h = new LatencyHistogram();
    const xs: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const v = 50_000 + ((i * 7919) % 10_000) * 100; // 50 µs .. 1.05 ms, shuffled
      xs.push(v);
      h.record(v);
    }
    xs.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = xs[Math.ceil((p / 100) * xs.length) - 1]!;
      const got = h.valueAt(p);
      assert.ok(Math.abs(got - exact) / exact < 0.016, `p${p}: got ${got}, exact ${exact}`);
    }
    assert.equal(h.count, 10_000);
  });
  it("never reports beyond the observed min and max", () => {
    const h = new LatencyHistogram();
    h.record(1_000_000);
    assert.equal(h.valueAt(50), 1_000_000);
    assert.equal(h.valueAt(99.9), 1_000_000);
  });
  it("returns NaN when empty and merges counts", () => {
    const a = new LatencyHistogram();
    assert.ok(Number.isNaN(a.valueAt(50)));
    const b = new LatencyHistogram();
    b.record(200);
    b.record(400);
    a.merge(b);
    assert.equal(a.count, 2);
    const s = a.summary();
    assert.equal(s.minMs, 0.0002);
    assert.equal(s.maxMs, 0.0004);
    assert.equal(s.meanMs, 0.0003);
  });
});
