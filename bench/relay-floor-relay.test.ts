import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { measureRelay, startFloor } from "./relay-floor-relay.js";

// The floor's relays are bench code, but a relay that drops or corrupts traffic would make the
// floor a lie: every request must come back, on node:http2 and on the JS-framed transport alike.
describe("relay floor relays", () => {
  it("answer every request through bytes, http1 and jsh2", async () => {
    const floor = await startFloor(["bytes", "http1", "jsh2"] as const);
    try {
      for (const mode of ["bytes", "http1", "jsh2"] as const) {
        // 1200 requests over 4 streams: more than the peer's 64 KiB default stream window of
        // responses, so jsh2's send-side flow control is exercised.
        const m = await measureRelay(floor.relays[mode], 600, 2, 4);
        assert.equal(m.lost, 0, `${mode} lost ${m.lost}`);
        assert.ok(m.vcpuPer1000rps > 0 && Number.isFinite(m.p99), `${mode}: ${JSON.stringify(m)}`);
      }
    } finally {
      floor.stop();
    }
  });
});
