import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cancel, type Cancellation, NEVER_CANCELLED, sleepUnless } from "./cancel.js";

describe("Cancel (per-request cancellation without AbortController)", () => {
  it("behaves like AbortSignal for what the request path uses", () => {
    for (const make of [
      () => {
        const c = new Cancel();
        return { c: c as Cancellation, abort: (r: unknown) => c.abort(r) };
      },
      () => {
        const ac = new AbortController();
        return { c: ac.signal as Cancellation, abort: (r: unknown) => ac.abort(r) };
      },
    ]) {
      const { c, abort } = make();
      const calls: string[] = [];
      const a = () => calls.push("a");
      const b = () => calls.push("b");
      const removed = () => calls.push("removed");
      c.addEventListener("abort", a, { once: true });
      c.addEventListener("abort", removed);
      c.addEventListener("abort", b);
      c.removeEventListener("abort", removed);
      assert.equal(c.aborted, false);
      const why = new Error("client went away");
      abort(why);
      abort(new Error("second abort is ignored"));
      assert.equal(c.aborted, true);
      assert.equal(c.reason, why);
      assert.deepEqual(calls, ["a", "b"], "listeners in order, once, removed one not called");
      c.addEventListener("abort", () => calls.push("late"));
      assert.deepEqual(calls, ["a", "b"], "a listener added after the abort is never called");
    }
  });

  it("sleepUnless resolves after the delay, rejects with the reason when cancelled, and clears its timer", async () => {
    const t0 = performance.now();
    await sleepUnless(30, new Cancel());
    assert.ok(performance.now() - t0 >= 25);
    const c = new Cancel();
    const p = sleepUnless(10_000, c);
    const why = new Error("timeout layer");
    setTimeout(() => c.abort(why), 10);
    await assert.rejects(p, (e) => e === why);
    await assert.rejects(sleepUnless(10, c), (e) => e === why, "already cancelled: rejects at once");
    assert.equal(NEVER_CANCELLED.aborted, false);
  });

  it("does not survive young-generation GC the way AbortSignal does (the reason it exists)", async () => {
    // Node 20: objects reachable only from a dropped AbortSignal still reach the old generation;
    // the same shape built on Cancel does not. Measured as old-space growth after minor GCs.
    const { getHeapSpaceStatistics } = await import("node:v8");
    const old = () =>
      getHeapSpaceStatistics().find((s) => s.space_name === "old_space")?.space_used_size ?? 0;
    const churn = async (make: () => unknown) => {
      const before = old();
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1000; i++) make();
        await new Promise((r) => setImmediate(r));
      }
      return old() - before;
    };
    const viaCancel = await churn(() => {
      const c = new Cancel();
      c.addEventListener("abort", () => {});
      return c;
    });
    const viaAbortSignal = await churn(() => {
      const ac = new AbortController();
      ac.signal.addEventListener("abort", () => {});
      return ac;
    });
    assert.ok(
      viaAbortSignal > viaCancel + 1_000_000,
      `old space grew ${viaAbortSignal} B with AbortController vs ${viaCancel} B with Cancel`,
    );
  });
});
