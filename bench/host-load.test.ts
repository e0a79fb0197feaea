import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCpuLine, sampleBackgroundCpuPct } from "./host-load.js";

describe("parseCpuLine", () => {
  it("counts idle and iowait as idle, the rest (steal included) as busy", () => {
    const t = parseCpuLine("cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\n");
    assert.deepEqual(t, { busy: 170, total: 990 });
  });
  it("rejects text without the aggregate line", () => {
    assert.throws(() => parseCpuLine("cpu0 1 2 3 4\n"), /no aggregate cpu line/);
  });
});

describe("sampleBackgroundCpuPct", () => {
  it("returns a percentage", async () => {
    const p = await sampleBackgroundCpuPct(50);
    assert.ok(p >= 0 && p <= 100, String(p));
  });
});
