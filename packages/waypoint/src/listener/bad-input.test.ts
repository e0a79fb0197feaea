import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertNoLeakedFds, openFds } from "@ambit/testing";
import {
  type App,
  type Harness,
  http1Via,
  httpServices,
  rawVia,
  startHarness,
  startHttp1App,
} from "../testdata/harness.js";

describe("waypoint bad input (strict HTTP/1.1, upstream failures)", () => {
  let h: Harness;
  let app: App;
  let fds: Map<number, string>;
  before(async () => {
    fds = openFds();
    h = await startHarness({ maxHeaderSize: 8192 });
    app = await startHttp1App("v1");
    h.addEndpointApp("10.0.0.1", 9080, app.port);
    h.setConfig(
      httpServices([
        { name: "reviews", vip: "10.96.0.20", endpoint: "10.0.0.1" },
        { name: "gone", vip: "10.96.0.21", endpoint: undefined },
      ]),
    );
  });
  after(async () => {
    await h.close();
    await new Promise((r) => app.server.close(r));
    assert.equal(h.waypoint.hbone.sessionCount, 0);
    await assertNoLeakedFds(fds, { timeoutMs: 3000 });
  });

  const cases: [string, string, RegExp][] = [
    [
      "Content-Length and Transfer-Encoding together",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "Transfer-Encoding not ending in chunked",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "obfuscated Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    ["invalid method token", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["obs-fold header continuation", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["bare LF line ending inside headers", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["missing Host", "GET / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
    [
      "bad chunk size",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "oversized header block (400, not 431)",
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(9000)}\r\n\r\n`,
      /^HTTP\/1\.1 400 /,
    ],
    ["oversized request line", `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`, /^HTTP\/1\.1 400 /],
    [
      "many small headers over the limit",
      `GET / HTTP/1.1\r\nHost: a\r\n${"X-H: 0123456789\r\n".repeat(700)}\r\n`,
      /^HTTP\/1\.1 400 /,
    ],
    [
      "two Transfer-Encoding headers",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "negative Content-Length",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      /^HTTP\/1\.1 400 /,
    ],
    [
      "signed Content-Length",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
      /^HTTP\/1\.1 400 /,
    ],
    ["space before the header colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["NUL in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["lower-case method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["unknown HTTP version", "GET / HTTP/1.7\r\nHost: a\r\n\r\n", /^HTTP\/1\.1 400 /],
  ];
  for (const [name, bytes, want] of cases) {
    it(`${name} → error status and the tunnel is closed`, async () => {
      const r = await rawVia(h, "10.96.0.20:9080", bytes);
      assert.match(r.text, want, JSON.stringify(r.text.slice(0, 80)));
      assert.equal(r.closed, true, "connection closed after the error");
      assert.equal(app.hits, 0, "nothing reached the app");
    });
  }

  it("a smuggled second request after a bad one never reaches the app", async () => {
    const r = await rawVia(
      h,
      "10.96.0.20:9080",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert.match(r.text, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(r.text, /200 OK/);
    assert.equal(app.hits, 0);
  });

  it("no healthy endpoint → 503 with reason; the waypoint keeps serving", async () => {
    const r = await http1Via(h, "10.96.0.21:9080", { path: "/" });
    assert.equal(r.status, 503);
    assert.match(r.body, /no healthy endpoint for gone\.bookinfo\.svc\.cluster\.local:9080/);
    const ok = await http1Via(h, "10.96.0.20:9080", { path: "/fine" });
    assert.equal(ok.status, 200);
    assert.equal(app.hits, 1);
  });

  it("bad requests are counted and logged with their reason", async () => {
    const text = await h.metrics.text();
    assert.match(text, /istio_requests_total\{[^}]*response_code="400"/);
    assert.ok(h.logs.some((l) => l.reason.startsWith("bad request: HPE_")));
  });
});
