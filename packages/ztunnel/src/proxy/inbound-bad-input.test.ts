import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleepMs } from "node:timers/promises";
import tls from "node:tls";
import { makeIdentity } from "@ambit/api";
import { createHboneSecureContext, hboneClientOptions } from "@ambit/core";
import { createTestPki, type TestPki, useLeakCheck } from "@ambit/testing";
import { type Harness, SLEEP_IP, startApp, startHarness, WEB_IP } from "./testdata/harness.js";

/**
 * "Bad input — each one a test" (issue 5) against a pod's HBONE listener: every case gets its
 * documented answer, nothing crashes, and the fds return to where they started.
 */

let pki: TestPki;
let h: Harness;
let app: Awaited<ReturnType<typeof startApp>>;
let goodCtx: tls.SecureContext;
const WEB_ID = makeIdentity("default", "web");

before(async () => {
  pki = await createTestPki();
  app = await startApp();
  h = await startHarness(pki);
  goodCtx = h.certs.findCertificate(makeIdentity("default", "sleep"))?.secureContext as tls.SecureContext;
});
after(async () => {
  await h.close();
  await new Promise<void>((r) => app.server.close(() => r()));
});

function tlsTo(ctx: tls.SecureContext | null): tls.TLSSocket {
  const base = ctx
    ? hboneClientOptions(ctx, [WEB_ID])
    : { ALPNProtocols: ["h2"], rejectUnauthorized: false, minVersion: "TLSv1.3" as const };
  const raw = net.connect({ host: WEB_IP, port: h.server.ports.hbone, localAddress: SLEEP_IP });
  raw.on("error", () => {});
  const s = tls.connect({ ...base, socket: raw, servername: "" });
  s.on("error", () => {});
  return s;
}

interface Answer {
  status?: number;
  rst?: number;
  error?: string;
}

/** One CONNECT (or other request) over a fresh HBONE connection; returns what came back. */
async function ask(
  headers: http2.OutgoingHttpHeaders,
  ctx: tls.SecureContext | null = goodCtx,
): Promise<Answer> {
  const sock = tlsTo(ctx);
  const session = http2.connect(`https://${WEB_IP}`, { createConnection: () => sock });
  session.on("error", () => {});
  try {
    return await new Promise<Answer>((resolve) => {
      let req: http2.ClientHttp2Stream;
      try {
        req = session.request(headers, { endStream: false });
      } catch (e) {
        resolve({ error: (e as NodeJS.ErrnoException).code ?? String(e) });
        return;
      }
      req.on("error", (e: NodeJS.ErrnoException) =>
        resolve({ error: e.code ?? e.message, rst: req.rstCode }),
      );
      req.on("response", (r) => resolve({ status: Number(r[":status"]) }));
      req.on("close", () => resolve({ rst: req.rstCode, error: "closed" }));
      session.on("close", () => resolve({ error: "session closed" }));
    });
  } finally {
    session.destroy();
    sock.destroy();
  }
}

/** Raw HTTP/2 over TLS: a CONNECT with no :authority (Node's client refuses to build one). */
async function connectWithoutAuthority(): Promise<{ frameTypes: number[]; rstCode?: number }> {
  const sock = tlsTo(goodCtx);
  await new Promise((r) => sock.once("secureConnect", r));
  const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
  // HPACK: literal without indexing, indexed name 2 (:method), value "CONNECT".
  const block = Buffer.concat([Buffer.from([0x02, 7]), Buffer.from("CONNECT")]);
  const headers = Buffer.concat([Buffer.from([0, 0, block.length, 1, 0x04, 0, 0, 0, 1]), block]);
  sock.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), settings, headers]));
  const frameTypes: number[] = [];
  let rstCode: number | undefined;
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3] as number;
        frameTypes.push(type);
        if (type === 3) {
          rstCode = buf.readUInt32BE(9);
          clearTimeout(timer);
          resolve();
        }
        buf = buf.subarray(9 + len);
      }
    });
    sock.on("close", () => resolve());
  });
  sock.destroy();
  return rstCode === undefined ? { frameTypes } : { frameTypes, rstCode };
}

async function leafCtx(
  o: Parameters<TestPki["issue"]>[0],
  issuer: TestPki = pki,
): Promise<tls.SecureContext> {
  const leaf = await issuer.issue(o);
  return createHboneSecureContext({ certChain: leaf.chainPem, privateKey: leaf.keyPem, roots: pki.rootsPem });
}

const target = (port: number, ip = WEB_IP) => ({ ":method": "CONNECT", ":authority": `${ip}:${port}` });

describe("15008 bad input: documented answers, no crash, no fd leak", () => {
  it("a good CONNECT still works (control case)", async (t) => {
    useLeakCheck(t);
    assert.deepEqual(await ask(target(app.port)), { status: 200 });
    await waitFor(() => h.inputs.connections.size === 0);
  });

  it("non-CONNECT method → 400", async (t) => {
    useLeakCheck(t);
    assert.equal((await ask({ ":method": "GET", ":path": "/" })).status, 400);
    assert.equal((await ask({ ":method": "POST", ":path": "/x" })).status, 400);
  });

  it("CONNECT without :authority → stream reset PROTOCOL_ERROR by the HTTP/2 layer", async (t) => {
    useLeakCheck(t);
    const r = await connectWithoutAuthority();
    assert.equal(r.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR, JSON.stringify(r));
  });

  it("unparsable :authority → 400", async (t) => {
    useLeakCheck(t);
    for (const a of ["garbage", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:0", "[::1:80"]) {
      assert.equal((await ask({ ":method": "CONNECT", ":authority": a })).status, 400, a);
    }
  });

  it("another pod's IP → 400", async (t) => {
    useLeakCheck(t);
    assert.equal((await ask(target(app.port, "127.0.0.9"))).status, 400);
  });

  it("a self port (15001/15006/15008) → 503", async (t) => {
    useLeakCheck(t);
    for (const p of [15001, 15006, 15008]) assert.equal((await ask(target(p))).status, 503, String(p));
  });

  it("nothing listening upstream → 503", async (t) => {
    useLeakCheck(t);
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, WEB_IP, () => r()));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    assert.equal((await ask(target(port))).status, 503);
  });

  it("no client certificate → TLS refused", async (t) => {
    useLeakCheck(t);
    const before = h.server.hboneServer.stats.handshakeFailures;
    const r = await ask(target(app.port), null);
    assert.equal(r.status, undefined);
    await waitFor(() => h.server.hboneServer.stats.handshakeFailures > before);
  });

  it("certificate from another trust domain (same root) → refused at TLS", async (t) => {
    useLeakCheck(t);
    const before = h.server.hboneServer.stats.identityRejected;
    const ctx = await leafCtx({ identity: "spiffe://evil.example/ns/default/sa/sleep" });
    assert.equal((await ask(target(app.port), ctx)).status, undefined);
    await waitFor(() => h.server.hboneServer.stats.identityRejected > before);
  });

  it("certificate from an untrusted root → refused", async (t) => {
    useLeakCheck(t);
    const other = await createTestPki();
    const before = h.server.hboneServer.stats.handshakeFailures;
    const ctx = await leafCtx({ identity: makeIdentity("default", "sleep") }, other);
    assert.equal((await ask(target(app.port), ctx)).status, undefined);
    await waitFor(() => h.server.hboneServer.stats.handshakeFailures > before);
  });

  it("expired certificate → refused", async (t) => {
    useLeakCheck(t);
    const before = h.server.hboneServer.stats.handshakeFailures;
    const ctx = await leafCtx({ identity: makeIdentity("default", "sleep"), expired: true });
    assert.equal((await ask(target(app.port), ctx)).status, undefined);
    await waitFor(() => h.server.hboneServer.stats.handshakeFailures > before);
  });

  it("plaintext bytes sent to 15008 → connection closed", async (t) => {
    useLeakCheck(t);
    const s = net.connect({ host: WEB_IP, port: h.server.ports.hbone });
    s.on("error", () => {});
    s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((r) => s.once("close", r));
  });

  it("client resets mid-stream → upstream app connection closed, tracking released", async (t) => {
    useLeakCheck(t);
    const sock = tlsTo(goodCtx);
    const session = http2.connect(`https://${WEB_IP}`, { createConnection: () => sock });
    session.on("error", () => {});
    const st = session.request(target(app.port), { endStream: false });
    st.on("error", () => {});
    await new Promise((r) => st.once("response", r));
    st.write("partial");
    await new Promise((r) => st.once("data", r));
    assert.equal(h.inputs.connections.size, 1);
    st.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await waitFor(() => h.inputs.connections.size === 0);
    session.destroy();
  });

  it("early half-close (END_STREAM right after CONNECT) → app sees EOF, response still flows", async (t) => {
    useLeakCheck(t);
    const sock = tlsTo(goodCtx);
    const session = http2.connect(`https://${WEB_IP}`, { createConnection: () => sock });
    session.on("error", () => {});
    const st = session.request(target(app.port), { endStream: false });
    st.end("abc");
    let got = "";
    st.setEncoding("utf8");
    st.on("data", (d: string) => {
      got += d;
    });
    await new Promise((r) => st.once("end", r));
    assert.equal(got, "abc|eof");
    session.destroy();
    await waitFor(() => h.inputs.connections.size === 0);
  });

  it("10k TCP connections opened and dropped (plus 100 TLS handshakes) → fds back to baseline", async (t) => {
    useLeakCheck(t, { timeoutMs: 5000 });
    const port = h.server.ports.hbone;
    const batch = 500;
    for (let done = 0; done < 10_000; done += batch) {
      await Promise.all(
        Array.from(
          { length: batch },
          () =>
            new Promise<void>((resolve) => {
              const s = net.connect({ host: WEB_IP, port });
              s.on("error", () => resolve());
              s.once("connect", () => {
                s.destroy();
                resolve();
              });
            }),
        ),
      );
    }
    await Promise.all(Array.from({ length: 100 }, () => ask(target(app.port))));
    await waitFor(() => h.server.hboneServer.sessionCount === 0, 5000);
    await waitFor(() => h.inputs.connections.size === 0, 5000);
  });
});

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail("condition not met in time");
    await sleepMs(10);
  }
}
