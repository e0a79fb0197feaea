import assert from "node:assert/strict";
import type http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { type Identity, makeIdentity, socketAddress } from "@ambit/api";
import { assertNoLeakedFds, createTestPki, openFds, type TestPki } from "@ambit/testing";
import { createHboneSecureContext } from "../tls/hbone-tls.js";
import { HboneError } from "./hbone-error.js";
import { connectHeaders, newTraceparent } from "./headers.js";
import { pipeSocketStream } from "./pipe.js";
import { HbonePool, type HbonePoolOptions } from "./pool.js";
import { type HboneRequest, HboneServer } from "./server.js";

const SERVER_ID = makeIdentity("ns1", "server");
const CLIENT_ID = makeIdentity("ns1", "client");

let pki: TestPki;
let serverCtx: tls.SecureContext;
let clientCtx: tls.SecureContext;

before(async () => {
  pki = await createTestPki();
  const s = await pki.issue({ identity: SERVER_ID });
  const c = await pki.issue({ identity: CLIENT_ID });
  serverCtx = createHboneSecureContext({ certChain: s.chainPem, privateKey: s.keyPem, roots: pki.rootsPem });
  clientCtx = createHboneSecureContext({ certChain: c.chainPem, privateKey: c.keyPem, roots: pki.rootsPem });
});

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An app that echoes and, on the client's FIN, writes `|eof` and FINs back (proves half-close). */
async function startApp(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => s.destroy());
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end("|eof"));
  });
  return { server, port: await listen(server) };
}

/** HBONE server on loopback; the handler decides per request. */
async function startHbone(
  onRequest: (req: HboneRequest) => void,
  opts: { pingIntervalMs?: number; pingTimeoutMs?: number; maxConcurrentStreams?: number } = {},
) {
  const hbone = new HboneServer({
    contextFor: () => ({ secureContext: serverCtx, trustDomain: "cluster.local" }),
    onRequest,
    ...opts,
  });
  const listener = net.createServer({ allowHalfOpen: true }, (s) => hbone.handleConnection(s));
  const port = await listen(listener);
  return {
    hbone,
    port,
    async close() {
      await hbone.close(100);
      await closeServer(listener);
    },
  };
}

/** Handler that connects to the app and pipes, answering 200 only once connected. */
function proxyTo(appPort: number) {
  return (req: HboneRequest) => {
    const up = net.connect({ host: "127.0.0.1", port: appPort, allowHalfOpen: true });
    up.once("error", () => req.reject(503));
    up.once("connect", () => void pipeSocketStream(up, req.accept()));
  };
}

function request(port: number, expected: readonly Identity[] = [SERVER_ID], authority = "127.0.0.1:1") {
  return {
    sourceIdentity: CLIENT_ID,
    destinationIdentities: expected,
    nextHop: socketAddress("127.0.0.1", port),
    sourceIp: undefined,
    secureContext: clientCtx,
    headers: connectHeaders({ authority, traceparent: newTraceparent() }),
  };
}

function readAll(stream: http2.ClientHttp2Stream): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      out += d;
    });
    stream.once("end", () => resolve(out));
    stream.once("error", reject);
  });
}

describe("hbone client ↔ server over real TLS + h2", () => {
  let app: { server: net.Server; port: number };
  before(async () => {
    app = await startApp();
  });
  after(() => closeServer(app.server));

  it("carries data both ways with half-close, through a client-side pipe", async () => {
    const srv = await startHbone(proxyTo(app.port));
    const pool = new HbonePool();
    const results: Promise<unknown>[] = [];
    // A capture-like listener: each accepted socket is tunnelled through the pool.
    const front = net.createServer({ allowHalfOpen: true }, (s) => {
      results.push(pool.connect(request(srv.port)).then((st) => pipeSocketStream(s, st)));
    });
    const frontPort = await listen(front);
    const c = net.connect({ port: frontPort, host: "127.0.0.1", allowHalfOpen: true });
    const got = new Promise<string>((resolve) => {
      let out = "";
      c.setEncoding("utf8");
      c.on("data", (d: string) => {
        out += d;
      });
      c.on("end", () => resolve(out));
    });
    c.write("hello ");
    await sleep(20);
    c.end("world");
    assert.equal(await got, "hello world|eof");
    c.destroy();
    const [res] = (await Promise.all(results)) as [{ toStream: number; toSocket: number; outcome: string }];
    assert.equal(res.outcome, "clean");
    assert.equal(res.toStream, 11);
    assert.equal(res.toSocket, 15);
    pool.close(true);
    await closeServer(front);
    await srv.close();
  });

  it("caps a connection at 100 streams and opens a second one; first uses share one handshake", async () => {
    const held: HboneRequest[] = [];
    const srv = await startHbone((req) => {
      held.push(req);
      req.accept();
    });
    const pool = new HbonePool();
    const streams = await Promise.all(Array.from({ length: 101 }, () => pool.connect(request(srv.port))));
    const conns = pool.connections();
    assert.equal(conns.length, 2);
    assert.deepEqual(
      conns.map((c) => c.streams).sort((a, b) => a - b),
      [1, 100],
    );
    assert.equal(srv.hbone.stats.handshakes, 2, "101 concurrent first uses → exactly 2 handshakes");
    for (const s of streams) s.close();
    pool.close(true);
    await srv.close();
  });

  it("honours a peer MAX_CONCURRENT_STREAMS below 100", async () => {
    const srv = await startHbone((req) => req.accept(), { maxConcurrentStreams: 5 });
    const pool = new HbonePool();
    (await pool.connect(request(srv.port))).close(); // learn the peer's settings
    const streams = await Promise.all(Array.from({ length: 12 }, () => pool.connect(request(srv.port))));
    const conns = pool.connections();
    assert.ok(
      conns.every((c) => c.capacity === 5 && c.streams <= 5),
      JSON.stringify(conns),
    );
    assert.equal(conns.length, 3);
    for (const s of streams) s.close();
    pool.close(true);
    await srv.close();
  });

  it("concurrent first uses of a key wait for a single handshake", async () => {
    const srv = await startHbone((req) => req.accept());
    const pool = new HbonePool();
    const streams = await Promise.all(Array.from({ length: 20 }, () => pool.connect(request(srv.port))));
    assert.equal(srv.hbone.stats.handshakes, 1);
    assert.equal(pool.connections().length, 1);
    for (const s of streams) s.close();
    // A different destination identity list is a different key → its own connection.
    const other = await pool.connect(request(srv.port, [SERVER_ID, makeIdentity("ns1", "alias")]));
    assert.equal(pool.connections().length, 2);
    other.close();
    pool.close(true);
    await srv.close();
  });

  it("rejects a server whose identity is not expected", async () => {
    const srv = await startHbone((req) => req.accept());
    const pool = new HbonePool();
    await assert.rejects(pool.connect(request(srv.port, [makeIdentity("ns1", "someone-else")])), (e) => {
      assert.ok(e instanceof HboneError);
      assert.equal(e.code, "identity_mismatch");
      return true;
    });
    assert.equal(pool.connections().length, 0);
    pool.close(true);
    await srv.close();
  });

  it("surfaces a status other than 200 as bad_status with the status", async () => {
    const srv = await startHbone((req) => req.reject(401));
    const pool = new HbonePool();
    await assert.rejects(pool.connect(request(srv.port)), (e) => {
      assert.ok(e instanceof HboneError);
      assert.equal(e.code, "bad_status");
      assert.equal(e.status, 401);
      return true;
    });
    pool.close(true);
    await srv.close();
  });

  it("connect failure is connect_failed", async () => {
    const dead = net.createServer();
    const port = await listen(dead);
    await closeServer(dead);
    const pool = new HbonePool();
    await assert.rejects(
      pool.connect(request(port)),
      (e) => e instanceof HboneError && e.code === "connect_failed",
    );
  });

  it("releases an idle connection after idleReleaseMs", async () => {
    const srv = await startHbone((req) => req.accept());
    const pool = new HbonePool({ idleReleaseMs: 50 });
    const s = await pool.connect(request(srv.port));
    s.close();
    await sleep(20);
    assert.equal(pool.connections().length, 1);
    await sleep(150);
    assert.equal(pool.connections().length, 0);
    await srv.close();
  });

  it("kills a connection whose peer stops answering PINGs", async () => {
    // A TLS peer that sends one empty SETTINGS frame and then never reads or answers anything.
    const s = await pki.issue({ identity: SERVER_ID });
    const muted: tls.TLSSocket[] = [];
    const mute = tls.createServer(
      { key: s.keyPem, cert: s.chainPem, ALPNProtocols: ["h2"], minVersion: "TLSv1.3" },
      (sock) => {
        sock.on("error", () => {});
        muted.push(sock);
        sock.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
        sock.pause();
      },
    );
    const port = await listen(mute);
    const opts: HbonePoolOptions = { pingIntervalMs: 30, pingTimeoutMs: 100 };
    const pool = new HbonePool(opts);
    const pending = pool.connect(request(port)).catch((e: unknown) => e);
    await sleep(50);
    assert.equal(pool.connections().length, 1);
    const err = await pending;
    assert.ok(err instanceof HboneError, String(err));
    await sleep(50);
    assert.equal(pool.connections().length, 0, "dead connection must leave the pool");
    for (const m of muted) m.destroy();
    await closeServer(mute);
  });

  it("server closes a session whose client stops answering PINGs", async () => {
    const srv = await startHbone((req) => req.accept(), { pingIntervalMs: 30, pingTimeoutMs: 100 });
    const c = await pki.issue({ identity: CLIENT_ID });
    const sock = tls.connect({
      host: "127.0.0.1",
      port: srv.port,
      key: c.keyPem,
      cert: c.chainPem,
      ca: pki.rootsPem,
      ALPNProtocols: ["h2"],
      servername: "",
      checkServerIdentity: () => undefined,
    });
    sock.on("error", () => {});
    await new Promise((r) => sock.once("secureConnect", r));
    // Preface + empty SETTINGS, then never read again: PINGs go unanswered.
    sock.write(
      Buffer.concat([
        Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
      ]),
    );
    await sleep(20);
    assert.equal(srv.hbone.sessionCount, 1);
    sock.pause();
    const t0 = Date.now();
    while (srv.hbone.sessionCount > 0 && Date.now() - t0 < 2000) await sleep(10);
    assert.equal(srv.hbone.sessionCount, 0, "dead client session must be closed");
    sock.destroy();
    await srv.close();
  });

  it("leaks no fds over 300 tunnels opened and closed", async () => {
    const srv = await startHbone(proxyTo(app.port));
    const pool = new HbonePool({ idleReleaseMs: 10 });
    // warm up once (lazy runtime fds)
    (await pool.connect(request(srv.port))).close();
    await sleep(50);
    const baseline = openFds();
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const st = await pool.connect(request(srv.port));
          st.end("x");
          await readAll(st);
        }),
      );
    }
    await sleep(50);
    await assertNoLeakedFds(baseline, { timeoutMs: 3000 });
    pool.close(true);
    await srv.close();
  });
});
