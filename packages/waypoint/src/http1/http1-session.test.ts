import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { assertNoLeakedFds, openFds } from "@ambit/testing";
import {
  type App,
  type Harness,
  httpServices,
  listen,
  rawTunnel,
  rawVia,
  startHarness,
  startHttp1App,
} from "../testdata/harness.js";

/**
 * A hand-written HTTP/1.1 backend for response shapes Node's server does not produce on its own:
 * `/chunked` (chunked, no Content-Length), `/eof` (close-delimited body), `/interim` (a 103 and a
 * 100 before the final response), `/badframe` (Content-Length and Transfer-Encoding together).
 */
function startRawApp(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    s.on("error", () => {});
    let buf = "";
    s.on("data", (c) => {
      buf += c.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const path = buf.split(" ")[1] ?? "";
      buf = buf.slice(end + 4);
      if (path === "/chunked")
        s.write(
          "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        );
      else if (path === "/eof") s.end("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end");
      else if (path === "/interim")
        s.write(
          "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfinal",
        );
      else if (path === "/badframe")
        s.write("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n");
      else s.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    });
  });
  return listen(server).then((port) => ({ server, port }));
}

/** A chunked body → its bytes (the test's own minimal decoder; no extensions, no trailers). */
function dechunk(s: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const nl = s.indexOf("\r\n", i);
    const n = Number.parseInt(s.slice(i, nl), 16);
    if (!(n > 0)) return out;
    out += s.slice(nl + 2, nl + 2 + n);
    i = nl + 2 + n + 2;
  }
}

/** Responses in a raw byte string, in order: status codes and bodies as sent. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 ([0-9]{3}) /g)].map((m) => Number(m[1]));
}

describe("waypoint HTTP/1.1 session (own llhttp path)", () => {
  let h: Harness;
  let app: App;
  let raw: { server: net.Server; port: number };
  let fds: Map<number, string>;
  before(async () => {
    fds = openFds();
    h = await startHarness({ idleTimeoutMs: 400 });
    app = await startHttp1App("v1");
    raw = await startRawApp();
    h.addEndpointApp("10.0.0.1", 9080, app.port);
    h.addEndpointApp("10.0.0.2", 9080, raw.port);
    h.setConfig(
      httpServices([
        { name: "reviews", vip: "10.96.0.20", endpoint: "10.0.0.1" },
        { name: "raw", vip: "10.96.0.22", endpoint: "10.0.0.2" },
      ]),
    );
  });
  after(async () => {
    await h.close();
    await new Promise((r) => app.server.close(r));
    await new Promise((r) => raw.server.close(r));
    assert.equal(h.waypoint.hbone.sessionCount, 0);
    await assertNoLeakedFds(fds, { timeoutMs: 3000 });
  });

  it("pipelined requests are answered in order on one tunnel; Connection: close ends it", async () => {
    const r = await rawVia(
      h,
      "10.96.0.20:9080",
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(r.text), [200, 200, 200]);
    const urls = [...r.text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ["/one", "/two", "/three"]);
    assert.match(r.text, /connection: close\r\n/);
    assert.equal(r.closed, true);
  });

  it("a chunked request body of 300 KiB streams through and arrives whole", async () => {
    const chunk = "y".repeat(3 * 1024);
    let body = "";
    for (let i = 0; i < 100; i++) body += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const r = await rawVia(
      h,
      "10.96.0.20:9080",
      `POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}0\r\n\r\n`,
      10_000,
    );
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /transfer-encoding: chunked\r\n/, "a streamed answer is re-chunked");
    const json = JSON.parse(dechunk(r.text.slice(r.text.indexOf("\r\n\r\n") + 4))) as { body: string };
    assert.equal(json.body.length, 300 * 1024);
    assert.equal(r.closed, true);
  });

  it("requests split at every byte (one DATA frame each) parse the same as whole ones", async () => {
    const t = await rawTunnel(h, "10.96.0.20:9080");
    const bytes = Buffer.from(
      "POST /split-a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
        "POST /split-b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
        "GET /split-c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "latin1",
    );
    for (let i = 0; i < bytes.length; i++) {
      t.stream.write(bytes.subarray(i, i + 1));
      // Let each byte leave as its own frame.
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    await t.closed;
    const text = t.text();
    assert.deepEqual(statuses(text), [200, 200, 200]);
    const bodies = [...text.matchAll(/"url":"([^"]+)"[\s\S]*?"body":"([^"]*)"/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    assert.deepEqual(bodies, ["/split-a=hello", "/split-b=abcde", "/split-c="]);
  });

  it("HEAD gets headers only and keeps the tunnel in sync for the next request", async () => {
    const r = await rawVia(
      h,
      "10.96.0.20:9080",
      "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /after-head HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(r.text), [200, 200]);
    const [first = "", second = ""] = r.text.split(/(?=HTTP\/1\.1 200)/);
    assert.ok(first.endsWith("\r\n\r\n"), "no body after the HEAD response head");
    assert.match(second, /"url":"\/after-head"/);
  });

  it("Expect: 100-continue gets an interim 100 before the final answer", async () => {
    const t = await rawTunnel(h, "10.96.0.20:9080", (text, stream) => {
      // The body goes only after the interim answer, as a real client waiting for it does.
      if (text.startsWith("HTTP/1.1 100 Continue\r\n\r\n") && !text.includes("200")) stream.write("hi");
      if (text.includes('"url"')) stream.end();
    });
    t.stream.write(
      "POST /exp HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
    );
    await t.closed;
    const r = { text: t.text() };
    assert.deepEqual(statuses(r.text), [100, 200]);
    assert.match(r.text, /"body":"hi"/);
    assert.doesNotMatch(r.text, /"expect"/, "the expectation is answered here, not forwarded");
  });

  it("HTTP/1.0 without Host is served and closed after the response", async () => {
    const r = await rawVia(h, "10.96.0.20:9080", "GET /old HTTP/1.0\r\n\r\n");
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /"host":"reviews\.bookinfo\.svc\.cluster\.local:9080"/);
    assert.equal(r.closed, true);
  });

  it("two Host headers → 400 and close", async () => {
    const r = await rawVia(h, "10.96.0.20:9080", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert.deepEqual(statuses(r.text), [400]);
    assert.equal(r.closed, true);
  });

  it("a bad request after good pipelined ones: the good ones are answered, then 400 and close", async () => {
    const hits = app.hits;
    const r = await rawVia(
      h,
      "10.96.0.20:9080",
      "GET /good HTTP/1.1\r\nHost: a\r\n\r\nG@T /bad HTTP/1.1\r\nHost: a\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert.deepEqual(statuses(r.text), [200, 400]);
    assert.equal(app.hits - hits, 1);
    assert.equal(r.closed, true);
  });

  it("an idle tunnel is closed after the idle timeout; a slower response is never cut by it", async () => {
    const t0 = Date.now();
    // One keep-alive request, then nothing: the waypoint closes the tunnel once it idled 400 ms.
    const idle = await rawVia(h, "10.96.0.20:9080", "GET /then-idle HTTP/1.1\r\nHost: a\r\n\r\n", 3000);
    assert.equal(idle.closed, true);
    assert.deepEqual(statuses(idle.text), [200]);
    assert.ok(Date.now() - t0 >= 350, `closed after ${Date.now() - t0} ms`);
    // /slow answers after 1 s: longer than the 400 ms idle timeout.
    const slow = await rawVia(h, "10.96.0.20:9080", "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", 5000);
    assert.deepEqual(statuses(slow.text), [200]);
    assert.match(slow.text, /"url":"\/slow"/);
    assert.equal(slow.closed, true, "then idle again → closed");
  });

  it("a bad chunk in the middle of a forwarded upload: one error response for that request, then close", async () => {
    const t = await rawTunnel(h, "10.96.0.20:9080");
    t.stream.write(
      "POST /upload-broken HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    );
    await new Promise((r) => setTimeout(r, 100));
    t.stream.write("zz\r\nnot a chunk\r\n");
    await t.closed;
    const text = t.text();
    const codes = statuses(text);
    assert.equal(codes.length, 1, `exactly one response: ${JSON.stringify(text.slice(0, 200))}`);
    assert.ok((codes[0] ?? 0) >= 400, `an error status, got ${codes[0]}`);
  });

  it("upstream chunked and close-delimited responses reach the client re-framed", async () => {
    const c = await rawVia(
      h,
      "10.96.0.22:9080",
      "GET /chunked HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(c.text), [200]);
    // Arrived whole in one read: re-framed with a Content-Length (else chunked again).
    assert.match(c.text, /content-length: 11\r\n[\s\S]*\r\n\r\nhello world$|transfer-encoding: chunked\r\n/);
    assert.doesNotMatch(c.text, /0\r\n\r\n0\r\n/);
    const e = await rawVia(h, "10.96.0.22:9080", "GET /eof HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.deepEqual(statuses(e.text), [200]);
    assert.match(e.text, /until the end/);
  });

  it("upstream interim 103/100 responses are skipped; the final one is forwarded", async () => {
    const r = await rawVia(
      h,
      "10.96.0.22:9080",
      "GET /interim HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(r.text), [200]);
    assert.match(r.text, /\r\n\r\nfinal$/);
  });

  it("a malformed upstream response → 503 upstream reset, the waypoint keeps serving", async () => {
    const r = await rawVia(
      h,
      "10.96.0.22:9080",
      "GET /badframe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(r.text), [503]);
    assert.match(r.text, /upstream reset: upstream sent a malformed response: HPE_/);
    const ok = await rawVia(
      h,
      "10.96.0.20:9080",
      "GET /still HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(ok.text), [200]);
  });
});
