import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "./wait-for.js";

describe("waitFor", () => {
  it("returns the first defined value, retrying thrown polls by default", async () => {
    let n = 0;
    const v = await waitFor(
      "third poll",
      () => {
        n++;
        if (n === 1) throw new Error("not listening yet");
        return n === 3 ? "done" : undefined;
      },
      { intervalMs: 1 },
    );
    assert.equal(v, "done");
    assert.equal(n, 3);
  });

  it("times out naming what it waited for, the last error and the detail", async () => {
    await assert.rejects(
      waitFor(
        "the moon",
        () => {
          throw new Error("ECONNREFUSED");
        },
        { timeoutMs: 20, intervalMs: 5, detail: () => "last state x" },
      ),
      /timed out waiting for the moon \(last error: Error: ECONNREFUSED\): last state x/,
    );
  });

  it("with onError: throw, a failing poll fails at once", async () => {
    let n = 0;
    await assert.rejects(
      waitFor(
        "x",
        () => {
          n++;
          throw new Error("real failure");
        },
        { onError: "throw", timeoutMs: 5_000 },
      ),
      /real failure/,
    );
    assert.equal(n, 1);
  });
});
