import assert from "node:assert/strict";
import net from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { formatIdentity, makeIdentity } from "@ambit/api";
import { startTestCaServer, type TestCaAnswer, type TestCaServer } from "@ambit/testing";
import * as grpc from "@grpc/grpc-js";
import { hboneClientOptions, hboneServerSocketOptions, verifyHboneClient } from "../tls/index.js";
import { CaClient } from "./ca-client.js";
import { CertificateError } from "./certificate-error.js";
import { SecretManager, type SecretManagerOptions } from "./secret-manager.js";

const sleepId = makeIdentity("default", "sleep");
const pageId = makeIdentity("bookinfo", "productpage");
const FAST_BACKOFF = { initialMs: 50, multiplier: 2, jitter: 0.2, maxMs: 400 };

describe("SecretManager against a real gRPC CA over TLS", () => {
  let ca: TestCaServer;
  /** Replaceable per test: how the CA answers. */
  let answer: (r: { identity: string; call: number }) => TestCaAnswer = () => ({ kind: "issue" });
  const managers: SecretManager[] = [];
  const clients: CaClient[] = [];

  before(async () => {
    ca = await startTestCaServer({ answer: (r) => answer(r) });
  });
  // Close each test's managers so no retry loop of one test sends requests during the next.
  afterEach(() => {
    for (const m of managers.splice(0)) m.close();
    for (const c of clients.splice(0)) c.close();
  });
  after(() => ca.close());

  function manager(opts: Partial<SecretManagerOptions> = {}): SecretManager {
    const client = new CaClient({
      address: ca.address,
      rootsPem: ca.rootsPem,
      node: "node-a",
      token: "t".repeat(43),
    });
    clients.push(client);
    const m = new SecretManager({ signer: client, backoff: FAST_BACKOFF, ...opts });
    managers.push(m);
    return m;
  }

  it("coalesces concurrent fetches into one CSR and reuses one SecureContext", async () => {
    answer = () => ({ kind: "issue", delayMs: 50 });
    const m = manager();
    const before = ca.requests.length;
    assert.deepEqual(m.dump(), []);
    const all = Promise.all(Array.from({ length: 10 }, () => m.fetchCertificate(sleepId)));
    assert.equal(m.dump()[0]?.state, "initializing");
    const certs = await all;
    assert.equal(ca.requests.length - before, 1);
    assert.ok(certs.every((c) => c === certs[0] && c.secureContext === certs[0]!.secureContext));
    const again = await m.fetchCertificate(sleepId);
    assert.equal(again, certs[0]);
    assert.equal(ca.requests.length - before, 1, "a held certificate needs no request");
    const req = ca.requests.at(-1)!;
    assert.equal(req.identity, formatIdentity(sleepId), "ImpersonatedIdentity metadata");
    assert.equal(req.validitySeconds, 86_400n, "requests ztunnel's 24 h default");
    assert.equal(req.metadata.get("x-ambit-node")[0], "node-a");
    assert.match(String(req.metadata.get("authorization")[0]), /^Bearer t{43}$/);
    const [d] = m.dump();
    assert.equal(d?.state, "available");
    assert.equal(d?.serial, certs[0]!.serial);
    assert.equal(d?.failedAttempts, 0);
    assert.ok(JSON.parse(JSON.stringify(m.dump())));
  });

  it("rejects a leaf for another identity and reports unavailable with the reason", async () => {
    answer = () => ({ kind: "issue", identity: formatIdentity(pageId) });
    const m = manager();
    await assert.rejects(m.fetchCertificate(sleepId), (e: unknown) => {
      return e instanceof CertificateError && e.code === "identity_mismatch";
    });
    const [d] = m.dump();
    assert.equal(d?.state, "unavailable");
    assert.match(
      d?.reason ?? "",
      /does not equal requested spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep/,
    );
    // While waiting for the retry, callers fail fast with the reason instead of queueing.
    await assert.rejects(m.fetchCertificate(sleepId), (e: unknown) => {
      return e instanceof CertificateError && e.code === "unavailable" && /does not equal/.test(e.message);
    });
  });

  it("retries with backoff after CA errors and recovers", async () => {
    let failuresLeft = 3;
    answer = () =>
      failuresLeft-- > 0
        ? { kind: "fail", code: grpc.status.UNAVAILABLE, details: "ca overloaded" }
        : { kind: "issue" };
    const m = manager();
    const start = Date.now();
    await assert.rejects(m.fetchCertificate(pageId), (e: unknown) => {
      return (
        e instanceof CertificateError &&
        e.code === "ca_unavailable" &&
        /UNAVAILABLE: ca overloaded/.test(e.message)
      );
    });
    m.prefetch(pageId); // no-op while the retry is scheduled
    while (!m.findCertificate(pageId)) {
      assert.ok(Date.now() - start < 5_000, "did not recover");
      await sleep(20);
    }
    // 3 failures → retries after ~50, ~100, ~200 ms (±20 %).
    assert.ok(Date.now() - start >= 280, `recovered too early: ${Date.now() - start} ms`);
    assert.equal(m.dump()[0]?.failedAttempts, 0);
  });

  it("a rejection by the CA maps to ca_rejected", async () => {
    answer = () => ({ kind: "fail", code: grpc.status.PERMISSION_DENIED, details: "node node-a may not" });
    const m = manager();
    await assert.rejects(m.fetchCertificate(sleepId), (e: unknown) => {
      return e instanceof CertificateError && e.code === "ca_rejected" && /PERMISSION_DENIED/.test(e.message);
    });
    m.forget(sleepId);
    assert.deepEqual(m.dump(), []);
  });

  it("limits concurrent CSRs", async () => {
    answer = () => ({ kind: "issue", delayMs: 40 });
    const m = manager({ maxConcurrent: 3 });
    const ids = Array.from({ length: 12 }, (_, i) => makeIdentity("load", `sa-${i}`));
    const mark = ca.requests.length;
    await Promise.all(ids.map((id) => m.fetchCertificate(id)));
    assert.equal(ca.requests.length - mark, 12);
    assert.ok(ca.maxInFlight() <= 3, `max in flight ${ca.maxInFlight()}`);
    assert.ok(ca.maxInFlight() >= 2, "CSRs did run in parallel");
    assert.equal(m.dump().filter((d) => d.state === "available").length, 12);
  });

  it("keeps serving the old certificate while renewals fail, until it expires", async () => {
    let fail = false;
    answer = () =>
      fail
        ? { kind: "fail", code: grpc.status.UNAVAILABLE, details: "down" }
        : { kind: "issue", ttlMs: 2_000 };
    const m = manager({ backoff: { ...FAST_BACKOFF, initialMs: 200 } });
    const first = await m.fetchCertificate(sleepId);
    fail = true;
    await sleep(first.notAfter.getTime() - Date.now() - 300); // past the renewal point, before expiry
    assert.ok(m.dump()[0]!.failedAttempts >= 1, "renewal attempted and failed");
    assert.equal(await m.fetchCertificate(sleepId), first, "old certificate still served");
    assert.equal(m.dump()[0]?.state, "available");
    assert.match(m.dump()[0]?.reason ?? "", /UNAVAILABLE: down/);
    await sleep(first.notAfter.getTime() - Date.now() + 50);
    assert.equal(m.findCertificate(sleepId), undefined);
    assert.equal(m.dump()[0]?.state, "unavailable");
    fail = false;
  });
});

describe("rotation under a stream of real mTLS handshakes", () => {
  let ca: TestCaServer;
  before(async () => {
    ca = await startTestCaServer({ ttlMs: 4_000 });
  });
  after(() => ca.close());

  it("renews before expiry and no handshake fails across several rotations", async () => {
    const client = new CaClient({
      address: ca.address,
      rootsPem: ca.rootsPem,
      node: "node-a",
      token: "x".repeat(43),
    });
    const m = new SecretManager({ signer: client, ttlSeconds: 4 });
    try {
      m.prefetch(pageId);
      await m.fetchCertificate(pageId);
      await m.fetchCertificate(sleepId);
      const serverSerials = new Set<string>();
      const clientSerials = new Set<string>();
      const srv = net.createServer((raw) => {
        // The server side presents productpage's current certificate (looked up per connection).
        const cert = m.findCertificate(pageId);
        if (!cert) {
          raw.destroy();
          return;
        }
        serverSerials.add(cert.serial);
        const s = new tls.TLSSocket(raw, hboneServerSocketOptions(cert.secureContext));
        s.on("secure", () => {
          const v = verifyHboneClient(s, "cluster.local");
          if (!v.ok) s.destroy();
          else s.end("ok");
        });
        s.on("error", () => s.destroy());
      });
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const port = (srv.address() as net.AddressInfo).port;
      const handshake = () =>
        new Promise<void>((resolve, reject) => {
          const cert = m.findCertificate(sleepId);
          if (!cert) {
            reject(new Error("client certificate unavailable"));
            return;
          }
          clientSerials.add(cert.serial);
          const s = tls.connect({
            host: "127.0.0.1",
            port,
            ...hboneClientOptions(cert.secureContext, [pageId]),
          });
          let body = "";
          s.on("data", (d) => {
            body += d;
          });
          s.on("end", () => (body === "ok" ? resolve() : reject(new Error(`server closed: ${body}`))));
          s.on("error", reject);
        });
      let ok = 0;
      const failures: string[] = [];
      // > 1.5 lifetimes of 4 s: renewals every ~2 s. X.509 times have 1 s resolution, so a leaf may
      // live only ~3 s; 4 s (not 2 s) keeps a renewal delayed by a loaded machine inside the lifetime.
      const until = Date.now() + 6_500;
      while (Date.now() < until) {
        await Promise.all(
          Array.from({ length: 4 }, () =>
            handshake().then(
              () => ok++,
              (e: unknown) => failures.push(String(e)),
            ),
          ),
        );
      }
      await new Promise<void>((r) => srv.close(() => r()));
      assert.deepEqual(failures, []);
      assert.ok(ok > 50, `only ${ok} handshakes`);
      assert.ok(serverSerials.size >= 3, `server rotated through ${serverSerials.size} certificates`);
      assert.ok(clientSerials.size >= 3, `client rotated through ${clientSerials.size} certificates`);
      for (const d of m.dump()) assert.equal(d.state, "available");
    } finally {
      m.close();
      client.close();
    }
  });
});
