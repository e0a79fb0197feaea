import assert from "node:assert/strict";
import net from "node:net";
import { before, describe, it } from "node:test";
import type tls from "node:tls";
import { makeIdentity, socketAddress } from "@ambit/api";
import { createTestPki } from "@ambit/testing";
import { createHboneSecureContext } from "../tls/hbone-tls.js";
import { connectHeaders } from "./headers.js";
import { HbonePool } from "./pool.js";
import { type HboneRequest, HboneServer } from "./server.js";

const SERVER_ID = makeIdentity("ns1", "server");
const CLIENT_ID = makeIdentity("ns1", "client");
let serverCtx: tls.SecureContext;
let clientCtx: tls.SecureContext;

before(async () => {
  const pki = await createTestPki();
  const s = await pki.issue({ identity: SERVER_ID });
  const c = await pki.issue({ identity: CLIENT_ID });
  serverCtx = createHboneSecureContext({ certChain: s.chainPem, privateKey: s.keyPem, roots: pki.rootsPem });
  clientCtx = createHboneSecureContext({ certChain: c.chainPem, privateKey: c.keyPem, roots: pki.rootsPem });
});

describe("HboneServer.close", () => {
  it("resets sessions that outlive the grace period without throwing from its timer", async () => {
    // Before the fix the grace timer called `session.socket.destroy()`, which http2's socket
    // proxy refuses (ERR_HTTP2_NO_SOCKET_MANIPULATION): an uncaught exception in a timer.
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener("uncaughtException", onUncaught);
    const held: HboneRequest[] = [];
    const hbone = new HboneServer({
      contextFor: () => ({ secureContext: serverCtx, trustDomain: "cluster.local" }),
      onRequest: (req) => {
        held.push(req);
        req.accept();
      },
    });
    const listener = net.createServer((s) => hbone.handleConnection(s));
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as net.AddressInfo).port;
    const pool = new HbonePool();
    try {
      // A stream the client never ends: the session cannot finish within the grace period.
      const stream = await pool.connect({
        sourceIdentity: CLIENT_ID,
        destinationIdentities: [SERVER_ID],
        nextHop: socketAddress("127.0.0.1", port),
        sourceIp: undefined,
        secureContext: clientCtx,
        headers: connectHeaders({ authority: "127.0.0.1:1" }),
      });
      stream.on("error", () => {});
      const streamClosed = new Promise<void>((r) => stream.once("close", () => r()));
      assert.equal(hbone.sessionCount, 1);
      const t0 = Date.now();
      await hbone.close(50);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(uncaught, []);
      assert.equal(hbone.sessionCount, 0, "the stuck session is gone");
      assert.ok(Date.now() - t0 < 1_000, "close resolves soon after the grace period");
      await streamClosed; // the client sees its tunnel reset
      assert.equal(held.length, 1);
    } finally {
      process.off("uncaughtException", onUncaught);
      pool.close(true);
      await new Promise((r) => listener.close(r));
    }
  });
});
