import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { runClosed, runConnect, runRate } from "./generator.js";
import { ResponseParser } from "./http1-conn.js";

const BODY = Buffer.alloc(1024, 0x61);

describe("load generator against a real loopback server", () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  before(async () => {
    server = createServer((req, res) => {
      hits++;
      res.writeHead(req.url === "/1k" ? 200 : 404, { "content-length": BODY.length });
      res.end(BODY);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("rate mode sends the scheduled number of requests and measures them", async () => {
    hits = 0;
    const r = await runRate({
      mode: "rate",
      target: { ip: "127.0.0.1", port, path: "/1k" },
      rate: 400,
      conns: 4,
      durationMs: 500,
      warmupMs: 100,
    });
    assert.equal(hits, 240); // 400/s × 0.6 s, warm-up included
    assert.equal(r.requests, 200);
    assert.equal(r.errors, 0);
    assert.equal(r.badStatus, 0);
    assert.equal(r.unsent, 0);
    // Sanity only (a loaded shared box can be slow): positive and far below the 5 s request timeout.
    assert.ok(r.latency.percentilesMs["p50"]! > 0 && r.latency.percentilesMs["p50"]! < 1000);
    assert.ok(r.latencyFromIntended!.percentilesMs["p99"]! >= r.latency.percentilesMs["p99"]!);
  });

  it("counts non-2xx answers", async () => {
    const r = await runClosed({
      mode: "closed",
      target: { ip: "127.0.0.1", port, path: "/nope" },
      conns: 2,
      durationMs: 200,
      warmupMs: 0,
    });
    assert.ok(r.requests > 0);
    assert.equal(r.badStatus, r.requests);
  });

  it("connect mode opens one connection per request", async () => {
    let conns = 0;
    const onConn = (): void => {
      conns++;
    };
    server.on("connection", onConn);
    const r = await runConnect({
      mode: "connect",
      target: { ip: "127.0.0.1", port, path: "/1k" },
      conns: 2,
      durationMs: 300,
      warmupMs: 0,
    });
    server.off("connection", onConn);
    assert.ok(r.requests > 10, `only ${r.requests} connections`);
    assert.equal(r.errors, 0);
    assert.ok(conns >= r.requests);
  });

  it("reports errors (not hangs) when nothing listens", async () => {
    const r = await runConnect({
      mode: "connect",
      target: { ip: "127.0.0.1", port: 1, path: "/1k" },
      conns: 1,
      durationMs: 100,
      warmupMs: 0,
    });
    assert.equal(r.requests, 0);
    assert.ok(r.errors > 0);
  });
});

describe("load generator against a stalled server", () => {
  it("fails requests that get no answer instead of hanging", async () => {
    const silent = createNetServer((s) => s.resume()); // reads, never answers
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as AddressInfo;
    const target = { ip: "127.0.0.1", port, path: "/1k", requestTimeoutMs: 150 };
    const t0 = Date.now();
    const r = await runClosed({ mode: "closed", target, conns: 1, durationMs: 100, warmupMs: 0 });
    assert.equal(r.requests, 0);
    assert.ok(r.errors >= 1);
    assert.ok(Date.now() - t0 < 2000);
    await new Promise((r2) => silent.close(r2));
  });
});

describe("ResponseParser", () => {
  const head = (len: number): string => `HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: ${len}\r\n\r\n`;
  it("handles responses split anywhere and back to back", () => {
    const got: number[] = [];
    const p = new ResponseParser((s) => got.push(s), assert.fail);
    const wire = Buffer.from(head(3) + "abc" + head(0) + head(2) + "xy");
    for (let i = 0; i < wire.length; i += 5) p.feed(wire.subarray(i, i + 5));
    assert.deepEqual(got, [200, 200, 200]);
    assert.ok(p.idle);
  });
  it("rejects a response without Content-Length", () => {
    let err = "";
    const p = new ResponseParser(
      () => assert.fail("no response expected"),
      (m) => {
        err = m;
      },
    );
    p.feed(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    assert.match(err, /unframed/);
  });
});
