import assert from "node:assert/strict";
import http from "node:http";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { assertNoLeakedFds, openFds } from "@ambit/testing";
import { type Harness, http1Via, httpServices, listen, startHarness } from "../testdata/harness.js";

/**
 * A harness with one HTTP/1.1 app behind `reviews` (10.96.0.20:9080 → 10.0.0.1:9080) answering
 * `ok <path>`; `/close` answers with `Connection: close` (the app ends the tunnel's TCP side).
 */
async function reviewsHarness(opts: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(opts);
  const app = http.createServer((req, res) => {
    req.resume();
    if (req.url === "/close") res.setHeader("connection", "close");
    res.end(`ok ${req.url}`);
  });
  h.addEndpointApp("10.0.0.1", 9080, await listen(app as unknown as net.Server));
  h.setConfig(httpServices([{ name: "reviews", vip: "10.96.0.20", endpoint: "10.0.0.1" }]));
  return {
    h,
    app,
    close: async () => {
      await h.close();
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    },
  };
}

describe("keep-alive HTTP/1.1 inside upstream tunnels (Http1Upstream)", () => {
  let h: Harness;
  let app: http.Server;
  let close: () => Promise<void>;
  let fds: Map<number, string>;
  let appConns = 0;
  before(async () => {
    fds = openFds();
    ({ h, app, close } = await reviewsHarness());
    app.on("connection", () => appConns++);
  });
  after(async () => {
    await close();
    await assertNoLeakedFds(fds, { timeoutMs: 3000 });
  });

  it("consecutive requests to one endpoint share one CONNECT stream and one app connection", async () => {
    const streams0 = h.backendHbone.stats.streams;
    const conns0 = appConns;
    for (let i = 0; i < 5; i++) {
      const r = await http1Via(h, "10.96.0.20:9080", { path: `/k${i}` });
      assert.equal(r.status, 200);
      assert.equal(r.body, `ok /k${i}`);
    }
    assert.equal(h.backendHbone.stats.streams - streams0, 1, "one upstream CONNECT for 5 requests");
    assert.equal(appConns - conns0, 1);
  });

  it("concurrent requests open parallel tunnels, which are reused afterwards", async () => {
    const streams0 = h.backendHbone.stats.streams;
    await Promise.all([0, 1, 2].map((i) => http1Via(h, "10.96.0.20:9080", { path: `/c${i}` })));
    const opened = h.backendHbone.stats.streams - streams0;
    assert.ok(opened >= 1 && opened <= 3, `opened ${opened}`);
    await Promise.all([0, 1, 2].map((i) => http1Via(h, "10.96.0.20:9080", { path: `/d${i}` })));
    const total = h.backendHbone.stats.streams - streams0;
    assert.ok(total <= 3, `6 requests in two waves of 3 opened ${total} tunnels (no reuse would open 6)`);
  });

  it("a tunnel the backend closes (Connection: close) is not reused; the next request succeeds", async () => {
    const r1 = await http1Via(h, "10.96.0.20:9080", { path: "/close" });
    assert.equal(r1.status, 200);
    await new Promise((r) => setTimeout(r, 100));
    const streams0 = h.backendHbone.stats.streams;
    const r2 = await http1Via(h, "10.96.0.20:9080", { path: "/after" });
    assert.equal(r2.status, 200);
    assert.equal(r2.body, "ok /after");
    assert.ok(h.backendHbone.stats.streams - streams0 <= 1);
  });

  it("the backend closing idle tunnels (app restart) is survived", async () => {
    app.closeAllConnections();
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) {
      const r = await http1Via(h, "10.96.0.20:9080", { path: `/again${i}` });
      assert.equal(r.status, 200);
    }
  });
});

describe("idle keep-alive tunnels to endpoints expire (Http1Upstream sweep)", () => {
  let h: Harness;
  let close: () => Promise<void>;
  const IDLE = 300;
  before(async () => {
    ({ h, close } = await reviewsHarness({ upstreamIdleMs: IDLE }));
  });
  after(() => close());

  it("a tunnel in steady use is kept; idle ones are closed between idleMs and 1.125 × idleMs + a tick", async () => {
    const streams0 = h.backendHbone.stats.streams;
    // Requests every 100 ms for ~4 idle periods: the tunnel never sits idle for IDLE ms.
    for (let i = 0; i < 12; i++) {
      assert.equal((await http1Via(h, "10.96.0.20:9080", { path: `/s${i}` })).status, 200);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(h.backendHbone.stats.streams - streams0, 1, "one tunnel for all 12 requests");
    await Promise.all([0, 1, 2].map((i) => http1Via(h, "10.96.0.20:9080", { path: `/p${i}` })));
    assert.ok(h.waypoint.upstreamTunnels >= 1);
    const idleAt = Date.now();
    while (h.waypoint.upstreamTunnels > 0 && Date.now() - idleAt < 5 * IDLE)
      await new Promise((r) => setTimeout(r, 10));
    const gone = Date.now() - idleAt;
    assert.equal(h.waypoint.upstreamTunnels, 0, "every idle tunnel closed");
    assert.ok(gone >= IDLE - 20, `closed after ${gone} ms, before the idle time`);
    assert.ok(gone <= IDLE * 1.125 + 150, `closed after ${gone} ms`);
    // And the pool still works afterwards (the sweeper restarts).
    assert.equal((await http1Via(h, "10.96.0.20:9080", { path: "/again" })).status, 200);
    assert.equal(h.waypoint.upstreamTunnels, 1);
  });
});
