import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import type { Identity } from "@ambit/api";
import { makeIdentity } from "@ambit/api";
import { createTestPki, type TestLeaf, type TestPki } from "@ambit/testing";
import { createHboneSecureContext, hboneClientOptions, hboneServerSocketOptions } from "./hbone-tls.js";
import { type PeerVerification, PeerVerifyError, verifyHboneClient } from "./peer-identity.js";

const client = makeIdentity("default", "sleep");
const server = makeIdentity("bookinfo", "productpage");

function ctxOf(leaf: TestLeaf, roots = leaf.rootsPem): tls.SecureContext {
  return createHboneSecureContext({ certChain: leaf.chainPem, privateKey: leaf.keyPem, roots });
}

/** A raw TCP server that wraps each socket in TLS with the given context (as the HBONE server will). */
async function startServer(
  ctx: tls.SecureContext,
): Promise<{ port: number; results: PeerVerification[]; close: () => Promise<void> }> {
  const results: PeerVerification[] = [];
  const srv = net.createServer((raw) => {
    const s = new tls.TLSSocket(raw, hboneServerSocketOptions(ctx));
    s.on("secure", () => {
      const v = verifyHboneClient(s, "cluster.local");
      results.push(v);
      if (!v.ok) {
        s.destroy();
        return;
      }
      s.end(`${s.alpnProtocol}|${s.getProtocol()}|${s.getCipher().standardName}`);
    });
    s.on("error", () => s.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return { port, results, close: () => new Promise((r) => srv.close(() => r())) };
}

function dial(port: number, ctx: tls.SecureContext, expected: Identity[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, ...hboneClientOptions(ctx, expected) });
    let data = "";
    s.setEncoding("utf8");
    s.on("data", (d) => {
      data += d;
    });
    s.on("end", () =>
      data === "" ? reject(new Error("closed by server without a response")) : resolve(data),
    );
    s.on("error", reject);
  });
}

describe("HBONE TLS settings over a real handshake", () => {
  let pki: TestPki;
  let srvLeaf: TestLeaf;
  let cliLeaf: TestLeaf;
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    pki = await createTestPki();
    srvLeaf = await pki.issue({ identity: server });
    cliLeaf = await pki.issue({ identity: client });
    srv = await startServer(ctxOf(srvLeaf));
  });
  after(() => srv.close());

  it("negotiates TLS 1.3, h2 and an allowed AES-GCM suite; server sees the client identity", async () => {
    const got = await dial(srv.port, ctxOf(cliLeaf), [server]);
    const [alpn, proto, cipher] = got.split("|");
    assert.equal(alpn, "h2");
    assert.equal(proto, "TLSv1.3");
    assert.ok(cipher === "TLS_AES_256_GCM_SHA384" || cipher === "TLS_AES_128_GCM_SHA256", cipher);
    const last = srv.results.at(-1);
    assert.ok(last?.ok && last.identity.serviceAccount === "sleep");
  });

  it("client refuses a server whose identity is not expected", async () => {
    await assert.rejects(dial(srv.port, ctxOf(cliLeaf), [client]), (e: unknown) => {
      return e instanceof PeerVerifyError && e.code === "identity_mismatch";
    });
  });

  it("client refuses a server chained to an unknown root", async () => {
    const other = await createTestPki();
    const alien = await startServer(ctxOf(await other.issue({ identity: server })));
    try {
      await assert.rejects(dial(alien.port, ctxOf(cliLeaf), [server]), /certificate|verify/i);
    } finally {
      await alien.close();
    }
  });

  it("server refuses a client without a certificate", async () => {
    const bare = tls.createSecureContext({ ca: pki.rootsPem, minVersion: "TLSv1.3" });
    await assert.rejects(dial(srv.port, bare, [server]));
  });

  it("server refuses an expired client certificate", async () => {
    const expired = await pki.issue({ identity: client, expired: true });
    await assert.rejects(dial(srv.port, ctxOf(expired), [server]));
    const last = srv.results.at(-1);
    assert.ok(last && !last.ok && last.code === "untrusted_chain", JSON.stringify(last));
  });

  it("server refuses a client from another trust domain", async () => {
    const foreign = await createTestPki({ trustDomain: "other.domain" });
    const leaf = await foreign.issue({ identity: makeIdentity("default", "sleep", "other.domain") });
    // Trust both roots so only the trust-domain rule can reject.
    const srv2 = await startServer(ctxOf(srvLeaf, pki.rootsPem + foreign.rootsPem));
    try {
      await assert.rejects(dial(srv2.port, ctxOf(leaf, pki.rootsPem), [server]));
      const last = srv2.results.at(-1);
      assert.ok(last && !last.ok && last.code === "trust_domain_mismatch");
    } finally {
      await srv2.close();
    }
  });

  it("works through an intermediate CA (chain sent by both ends)", async () => {
    const inter = await pki.createIntermediate();
    const s2 = await startServer(ctxOf(await inter.issue({ identity: server })));
    try {
      const got = await dial(s2.port, ctxOf(await inter.issue({ identity: client })), [server]);
      assert.match(got, /^h2\|TLSv1.3\|/);
      assert.equal(s2.results.at(-1)?.ok, true);
    } finally {
      await s2.close();
    }
  });
});
