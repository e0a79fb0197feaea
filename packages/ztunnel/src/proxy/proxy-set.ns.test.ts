import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleepMs } from "node:timers/promises";
import { connectInNetns, getMark } from "@ambit/sockets";
import {
  createTestPki,
  createTwoNodeTopology,
  type EchoServer,
  NetnsHarness,
  readWhoAmI,
  startEchoServer,
  type TwoNodeTopology,
} from "@ambit/testing";
import { ConnectionTelemetry, ProxyMetrics } from "../telemetry/index.js";
import { ConnectionManager } from "./connection-manager.js";
import { netnsPodNetwork } from "./pod-network.js";
import type { ProxyInputs } from "./proxy-inputs.js";
import { createProxySet, type ProxySet } from "./proxy-set.js";
import { MapCerts } from "./testdata/harness.js";
import { policy, stateOf, wl } from "./testdata/mesh.js";

/**
 * Real in-pod mode on a two-node netns topology: pod A's outbound TCP is REDIRECTed to 15001 inside
 * pod A; ztunnel A tunnels it over HBONE to pod B's 15008 (opened inside pod B's netns); ztunnel B
 * connects to the app from pod A's IP with a transparent socket (replies come back via the in-pod
 * connmark 0x111 + table 100 routing, wire-spec §5.3).
 */

const APP_PORT = 8080;
let h: NetnsHarness;
let topo: TwoNodeTopology;
let app: EchoServer;
let sets: ProxySet[] = [];
let access: Record<string, unknown>[] = [];
let state: ReturnType<typeof stateOf>;

// Pod A: capture outbound TCP (not ztunnel's own, not loopback) to 15001.
const CAPTURE_OUT = `table ip ambit_t {
  chain output { type nat hook output priority -100; policy accept;
    meta mark & 0xfff == 0x539 return
    oifname "lo" return
    ip protocol tcp redirect to :15001
  }
}`;
// Pod B: replies to ztunnel's spoofed-source upstream connections are routed back locally.
const INPOD_ROUTING = `table ip ambit_t {
  chain prerouting { type filter hook prerouting priority -150; policy accept;
    meta mark & 0xfff == 0x539 ct mark set ct mark & 0xfffff000 | 0x111
  }
  chain output { type route hook output priority -150; policy accept;
    meta mark & 0xfff == 0x539 ct mark set ct mark & 0xfffff000 | 0x111
    ct mark & 0xfff == 0x111 meta mark & 0xfff != 0x539 meta mark set ct mark
  }
}`;

before(async () => {
  h = await NetnsHarness.create();
  topo = await createTwoNodeTopology(h);
  await h.nft(topo.podA.ns, CAPTURE_OUT);
  await h.nft(topo.podB.ns, INPOD_ROUTING);
  await h.ip(topo.podB.ns, ["rule", "add", "fwmark", "0x111/0xfff", "pref", "32764", "lookup", "100"]);
  await h.ip(topo.podB.ns, ["route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"]);
  for (const k of [
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.lo.rp_filter",
  ]) {
    await h.sysctl(topo.podB.ns, k, "0");
  }
  app = await startEchoServer({ netns: topo.podB.path, host: topo.podB.ip, port: APP_PORT, whoAmI: true });
  const pki = await createTestPki();
  const sleep = wl("sleep", topo.podA.ip, { node: "node-a" });
  const web = wl("web", topo.podB.ip, { node: "node-b" });
  state = stateOf([sleep, web]);
  const certs = new MapCerts();
  await certs.add(pki, sleep.identity);
  await certs.add(pki, web.identity);
  const inputs = (): ProxyInputs => ({
    state,
    certs,
    telemetry: new ConnectionTelemetry(new ProxyMetrics(), (l) => access.push(l)),
    connections: new ConnectionManager(state),
    connectTimeoutMs: 3_000,
  });
  const inputsB = inputs();
  inputsB.connections.watch(state);
  sets = [
    await createProxySet(inputs(), {
      name: "default/sleep",
      pod: () => state.findWorkloadByUid(sleep.uid),
      network: netnsPodNetwork(topo.podA.path),
    }),
    await createProxySet(inputsB, {
      name: "default/web",
      pod: () => state.findWorkloadByUid(web.uid),
      network: netnsPodNetwork(topo.podB.path),
    }),
  ];
});

after(async () => {
  for (const s of sets) await s.stop(200);
  await app?.close();
  await h?.cleanup();
});

function fromPodA(port = APP_PORT): Promise<net.Socket> {
  return connectInNetns({ netns: topo.podA.path, host: topo.podB.ip, port, timeoutMs: 3000 });
}

describe("per-pod proxy sets inside real network namespaces", () => {
  it("captured pod→pod TCP crosses HBONE and reaches the app from the client pod's IP", async () => {
    access = [];
    const s = await fromPodA();
    const who = await readWhoAmI(s);
    assert.equal(who.remote.ip, topo.podA.ip, "app sees the original client IP (transparent upstream)");
    s.write("ping");
    const echoed = await new Promise<string>((r) => s.once("data", (d: Buffer) => r(d.toString())));
    assert.equal(echoed, "ping");
    s.destroy();
    for (let i = 0; i < 100 && access.length < 2; i++) await sleepMs(20);
    const src = access.find((l) => l["reporter"] === "source");
    const dst = access.find((l) => l["reporter"] === "destination");
    assert.equal(src?.["hbone_next_hop"], `${topo.podB.ip}:15008`);
    assert.equal(src?.["mtls"], true);
    assert.equal(dst?.["src_identity"], "spiffe://cluster.local/ns/default/sa/sleep");
    assert.equal(sets[1]?.hboneServer.stats.handshakes, 1);
  });

  it("listeners live in the pod netns, are marked 0x539 and share their port (SO_REUSEPORT)", async () => {
    const again = netnsPodNetwork(topo.podB.path);
    const second = await again.listen(15008);
    try {
      assert.equal(getMark(second), 0x539);
    } finally {
      await new Promise<void>((r) => second.close(() => r()));
    }
  });

  it("policy applies inside the namespaces: a DENY makes the CONNECT fail (401)", async () => {
    access = [];
    state.applyAuthorization({
      policies: [policy("deny-sleep", "deny", { principals: [{ kind: "suffix", value: "/sa/sleep" }] })],
      removed: [],
    });
    try {
      const s = await fromPodA();
      const closed = await new Promise<string>((r) => {
        s.on("data", () => r("data"));
        s.on("error", () => r("error"));
        s.on("close", () => r("close"));
      });
      assert.notEqual(closed, "data");
      s.destroy();
      for (let i = 0; i < 100 && !access.some((l) => l["error"] === "denied"); i++) await sleepMs(20);
      assert.ok(
        access.some((l) => l["error"] === "denied"),
        JSON.stringify(access),
      );
    } finally {
      state.applyAuthorization({ policies: [], removed: ["default/deny-sleep"] });
    }
  });
});
