import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CpuSnap, cpuPer1k, cpuPer1kByProc } from "./measure.js";

const snap = (nodeA: number, nodeB: number, byProc: Record<string, number>): CpuSnap => ({
  nodeA,
  nodeB,
  byProc,
});

describe("cpuPer1k / cpuPer1kByProc", () => {
  const before = snap(1, 2, { "ztunnel (node-a)": 1, "ztunnel (node-b)": 0.5, "waypoint (node B)": 1.5 });
  const after = snap(1.4, 3, { "ztunnel (node-a)": 1.4, "ztunnel (node-b)": 0.8, "waypoint (node B)": 2.2 });
  it("charges each process its own CPU per 1000 requests; the per-side sums are unchanged", () => {
    const byProc = cpuPer1kByProc(before, after, 4000);
    assert.deepEqual(Object.keys(byProc), ["ztunnel (node-a)", "ztunnel (node-b)", "waypoint (node B)"]);
    assert.ok(Math.abs(byProc["ztunnel (node-a)"]! - 0.1) < 1e-12);
    assert.ok(Math.abs(byProc["ztunnel (node-b)"]! - 0.075) < 1e-12);
    assert.ok(Math.abs(byProc["waypoint (node B)"]! - 0.175) < 1e-12);
    const sides = cpuPer1k(before, after, 4000);
    assert.ok(Math.abs(sides.nodeA - 0.1) < 1e-12);
    assert.ok(Math.abs(sides.nodeB - 0.25) < 1e-12);
    assert.ok(Math.abs(sides.total - 0.35) < 1e-12);
    // Node B's figure is the sum of its two processes.
    assert.ok(Math.abs(byProc["ztunnel (node-b)"]! + byProc["waypoint (node B)"]! - sides.nodeB) < 1e-12);
  });
  it("is empty for a path without proxies and NaN without requests or a starting figure", () => {
    assert.deepEqual(cpuPer1kByProc(undefined, undefined, 1000), {});
    assert.deepEqual(cpuPer1kByProc(before, undefined, 1000), {});
    assert.ok(Number.isNaN(cpuPer1k(undefined, undefined, 1000).total));
    const none = cpuPer1kByProc(before, after, 0);
    assert.ok(Object.values(none).every(Number.isNaN));
    const late = cpuPer1kByProc(snap(0, 0, {}), snap(0, 1, { late: 1 }), 1000);
    assert.ok(Number.isNaN(late["late"]));
  });
});
