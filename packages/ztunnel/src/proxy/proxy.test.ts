import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleepMs } from "node:timers/promises";
import { socketAddress } from "@ambit/api";
import { createTestPki, type TestPki } from "@ambit/testing";
import { roundTrip, SLEEP_IP, startApp, startHarness, WEB_IP } from "./testdata/harness.js";
import { policy } from "./testdata/mesh.js";

let pki: TestPki;
let app: Awaited<ReturnType<typeof startApp>>;
before(async () => {
  pki = await createTestPki();
  app = await startApp();
});
after(() => new Promise<void>((r) => app.server.close(() => r())));

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail("condition not met in time");
    await sleepMs(10);
  }
}

describe("ztunnel proxy sets over loopback (real HBONE between two pods)", () => {
  it("outbound → HBONE → inbound → app, both ways with half-close; source IP kept; telemetry", async () => {
    const h = await startHarness(pki);
    h.target = socketAddress(WEB_IP, app.port);
    const peersBefore = app.peers.length;
    const r = await roundTrip(h.connectOutbound(), "hello");
    assert.deepEqual(r, { data: "hello|eof" });
    assert.equal(app.peers[peersBefore], SLEEP_IP, "app sees the client pod's IP");
    await waitFor(() => h.access.length >= 2);
    const src = h.access.find((l) => l["reporter"] === "source");
    const dst = h.access.find((l) => l["reporter"] === "destination");
    assert.ok(src && dst);
    assert.equal(src["bytes_received"], 5);
    assert.equal(src["bytes_sent"], 9);
    assert.equal(src["hbone_authority"], `${WEB_IP}:${app.port}`);
    assert.equal(dst["src_identity"], "spiffe://cluster.local/ns/default/sa/sleep");
    assert.equal(dst["dst_identity"], "spiffe://cluster.local/ns/default/sa/web");
    assert.equal(dst["response_flags"], "-");
    assert.equal(src["id"], dst["id"], "traceparent is the shared connection id");
    const metrics = await h.inputs.telemetry.metrics.registry.metrics();
    assert.match(
      metrics,
      /istio_tcp_connections_opened_total\{reporter="destination",source_workload="sleep"/,
    );
    assert.match(
      metrics,
      /istio_tcp_received_bytes_total\{reporter="source".*connection_security_policy="mutual_tls"\} 5/,
    );
    await h.close();
  });

  it("inbound DENY → 401 → client reset; reason in both access lines", async () => {
    const deny = policy("deny-sleep", "deny", {
      principals: [{ kind: "exact", value: "cluster.local/ns/default/sa/sleep" }],
    });
    const h = await startHarness(pki, { policies: [deny] });
    h.target = socketAddress(WEB_IP, app.port);
    const r = await roundTrip(h.connectOutbound(), "x");
    assert.equal(r.data, "");
    assert.ok(r.error, "client connection must fail");
    await waitFor(() => h.access.length >= 2);
    const dst = h.access.find((l) => l["reporter"] === "destination");
    const src = h.access.find((l) => l["reporter"] === "source");
    assert.equal(dst?.["error"], "denied");
    assert.equal(dst?.["response_flags"], "DENY");
    assert.match(String(dst?.["detail"]), /explicitly denied by default\/deny-sleep/);
    assert.equal(src?.["error"], "hbone_rejected");
    assert.match(String(src?.["detail"]), /401/);
    await h.close();
  });

  it("closes an open connection when a new policy denies it", async () => {
    const h = await startHarness(pki);
    h.target = socketAddress(WEB_IP, app.port);
    const s = h.connectOutbound();
    s.write("a");
    await waitFor(() => h.inputs.connections.size === 1);
    // The tunnel is cancelled: the client sees EOF (FIN) from its proxy.
    const closed = new Promise<void>((r) => {
      s.once("end", () => r());
      s.once("close", () => r());
    });
    s.resume();
    s.on("error", () => {});
    h.state.applyAuthorization({
      policies: [policy("deny-all", "deny", { notPrincipals: [{ kind: "exact", value: "nobody" }] })],
      removed: [],
    });
    await closed;
    await waitFor(() => h.access.some((l) => l["error"] === "policy_changed_denied"));
    assert.equal(h.inputs.connections.size, 0);
    s.destroy();
    await h.close();
  });

  it("unknown destination → plain TCP passthrough", async () => {
    const h = await startHarness(pki);
    const other = await startApp("127.0.0.3");
    h.target = socketAddress("127.0.0.3", other.port);
    const r = await roundTrip(h.connectOutbound(), "pt");
    assert.deepEqual(r, { data: "pt|eof" });
    await waitFor(() => h.access.length >= 1);
    assert.equal(h.access[0]?.["mtls"], false);
    assert.equal(h.server.hboneServer.stats.handshakes, 0);
    await new Promise<void>((res) => other.server.close(() => res()));
    await h.close();
  });

  it("self-call to 15008 is refused", async () => {
    const h = await startHarness(pki);
    h.target = socketAddress("127.0.0.1", 15008);
    const r = await roundTrip(h.connectOutbound(), "x");
    assert.ok(r.error);
    await waitFor(() => h.access.length >= 1);
    assert.equal(h.access[0]?.["error"], "self_call");
    await h.close();
  });

  it("plaintext inbound (15006): allowed without policy, refused under STRICT", async () => {
    for (const strict of [false, true]) {
      const pols = strict ? [policy("strict", "deny", { notPrincipals: [{ kind: "presence" }] })] : [];
      const h = await startHarness(pki, { policies: pols });
      h.target = socketAddress(WEB_IP, app.port);
      const net = await import("node:net");
      const s: net.Socket = net.connect({
        host: WEB_IP,
        port: h.server.ports.inboundPlaintext,
        localAddress: SLEEP_IP,
      });
      const r = await roundTrip(s, "pl");
      if (strict) assert.equal(r.data, "");
      else assert.deepEqual(r, { data: "pl|eof" });
      await waitFor(() => h.access.length >= 1);
      assert.equal(h.access[0]?.["error"], strict ? "denied" : undefined);
      assert.equal(h.access[0]?.["mtls"], false);
      await h.close();
    }
  });

  it("same-node shortcut skips TLS but still applies policy and identities", async () => {
    const h = await startHarness(pki, { sameNode: true });
    h.target = socketAddress(WEB_IP, app.port);
    assert.deepEqual(await roundTrip(h.connectOutbound(), "sn"), { data: "sn|eof" });
    assert.equal(h.server.hboneServer.stats.handshakes, 0, "no TLS on the shortcut");
    await waitFor(() => h.access.some((l) => l["reporter"] === "destination"));
    const dst = h.access.find((l) => l["reporter"] === "destination");
    assert.equal(dst?.["src_identity"], "spiffe://cluster.local/ns/default/sa/sleep");
    h.state.applyAuthorization({
      policies: [policy("deny-sleep", "deny", { principals: [{ kind: "suffix", value: "/sa/sleep" }] })],
      removed: [],
    });
    const r = await roundTrip(h.connectOutbound(), "sn");
    assert.equal(r.data, "");
    await waitFor(() => h.access.some((l) => l["error"] === "denied"));
    await h.close();
  });
});
