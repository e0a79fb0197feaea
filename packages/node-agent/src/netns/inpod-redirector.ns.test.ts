/**
 * Real-kernel tests of the in-pod rules: a pod netns and a peer netns on a veth pair; the agent's
 * ruleset is applied in the pod and real connections show where they land.
 */
import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { ZTUNNEL_MARK } from "@ambit/api";
import { connectInNetns, getOriginalDst, listenInNetns } from "@ambit/sockets";
import { NetnsHarness } from "@ambit/testing";
import { DEFAULT_INPOD_RULES_CONFIG, INPOD_TABLES } from "../rules/index.js";
import { InpodRedirector } from "./inpod-redirector.js";
import { createLinuxNetnsExec } from "./netns.linux.js";

const POD_IP = "10.201.0.2";
const PEER_IP = "10.201.0.1";
const POD_IP6 = "fd00:201::2";
const PEER_IP6 = "fd00:201::1";

/** A listener that records each accepted socket and echoes `<tag>:<data>`. */
const allAccepted: net.Socket[] = [];

async function tagged(netns: string, host: string, port: number, tag: string) {
  const accepted: net.Socket[] = [];
  const server = await listenInNetns({ netns, host, port }, (s) => {
    accepted.push(s);
    allAccepted.push(s);
    s.on("data", (d) => s.write(`${tag}:${d.toString()}`));
    s.on("error", () => undefined);
  });
  return { server, accepted };
}

function roundTrip(s: net.Socket, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once("data", (d) => resolve(d.toString()));
    s.once("error", reject);
    s.write(msg);
  });
}

describe("in-pod rules in a real netns", { timeout: 60_000 }, () => {
  let h: NetnsHarness;
  let pod: string;
  let peer: string;
  const servers: net.Server[] = [];
  const clients: net.Socket[] = [];
  const redirector = new InpodRedirector(createLinuxNetnsExec());
  const cfg = DEFAULT_INPOD_RULES_CONFIG; // v4 + v6, no DNS

  before(async () => {
    h = await NetnsHarness.create();
    pod = h.path(await h.addNamespace("pod"));
    peer = h.path(await h.addNamespace("peer"));
    await h.addVeth({ ns: h.name("pod"), name: "eth0" }, { ns: h.name("peer"), name: "eth0" });
    await h.addAddress(h.name("pod"), "eth0", `${POD_IP}/24`);
    await h.addAddress(h.name("peer"), "eth0", `${PEER_IP}/24`);
    await h.addAddress(h.name("pod"), "eth0", `${POD_IP6}/64`);
    await h.addAddress(h.name("peer"), "eth0", `${PEER_IP6}/64`);
  });
  after(async () => {
    for (const c of [...clients, ...allAccepted]) c.destroy();
    for (const s of servers) s.close();
    await h?.cleanup();
  });

  const connect = async (o: Parameters<typeof connectInNetns>[0]) => {
    const s = await connectInNetns(o);
    clients.push(s);
    return s;
  };

  it("applies, captures outbound to 15001 with the original destination, lets marked sockets bypass", async () => {
    assert.equal(await redirector.detectIpv6(pod), true);
    await redirector.apply(pod, cfg);
    assert.deepEqual(await redirector.inspect(pod, cfg), { nftDrift: [], routingMissing: [] });

    const out4 = await tagged(pod, "127.0.0.1", 15001, "zt-out");
    const out6 = await tagged(pod, "::1", 15001, "zt-out6");
    const app = await tagged(peer, "0.0.0.0", 8080, "peer");
    const app6 = await tagged(peer, "::", 8081, "peer6");
    servers.push(out4.server, out6.server, app.server, app6.server);

    const c = await connect({ netns: pod, host: PEER_IP, port: 8080 });
    assert.equal(await roundTrip(c, "hi"), "zt-out:hi");
    const acc = out4.accepted[0];
    assert.ok(acc);
    assert.deepEqual(getOriginalDst(acc), { ip: PEER_IP, port: 8080 });

    const c6 = await connect({ netns: pod, host: PEER_IP6, port: 8081 });
    assert.equal(await roundTrip(c6, "hi6"), "zt-out6:hi6");
    const acc6 = out6.accepted[0];
    assert.ok(acc6);
    assert.deepEqual(getOriginalDst(acc6), { ip: PEER_IP6, port: 8081 });

    const marked = await connect({ netns: pod, host: PEER_IP, port: 8080, mark: ZTUNNEL_MARK });
    assert.equal(await roundTrip(marked, "direct"), "peer:direct");
    assert.equal(out4.accepted.length, 1, "marked socket must not be captured");
  });

  it("captures inbound to 15006 except HBONE on 15008", async () => {
    const in15006 = await tagged(pod, "0.0.0.0", 15006, "zt-in");
    const hbone = await tagged(pod, "0.0.0.0", 15008, "hbone");
    servers.push(in15006.server, hbone.server);
    const c = await connect({ netns: peer, host: POD_IP, port: 9080 });
    assert.equal(await roundTrip(c, "x"), "zt-in:x");
    const acc = in15006.accepted[0];
    assert.ok(acc);
    assert.deepEqual(getOriginalDst(acc), { ip: POD_IP, port: 9080 });
    const hb = await connect({ netns: peer, host: POD_IP, port: 15008 });
    assert.equal(await roundTrip(hb, "y"), "hbone:y");
    assert.equal(in15006.accepted.length, 1);
  });

  it("routes the app's replies to ztunnel's spoofed-source connections back to ztunnel (connmark + table 100)", async () => {
    // ztunnel delivering inbound traffic: from inside the pod, marked 0x539, with the ORIGINAL
    // client (the peer's IP) as a transparent source. Without connmark restore and the table-100
    // local route, the app's SYN-ACK would leave via eth0 towards the real peer and never come back.
    const seen: string[] = [];
    const app = await listenInNetns({ netns: pod, host: POD_IP, port: 9090 }, (s) => {
      seen.push(s.remoteAddress ?? "");
      allAccepted.push(s);
      s.on("data", (d) => s.write(`app:${d.toString()}`));
      s.on("error", () => undefined);
    });
    servers.push(app);
    const zt = await connect({
      netns: pod,
      host: POD_IP,
      port: 9090,
      mark: ZTUNNEL_MARK,
      transparentSource: { ip: PEER_IP },
      timeoutMs: 3000,
    });
    assert.equal(await roundTrip(zt, "from-peer"), "app:from-peer");
    assert.deepEqual(seen, [PEER_IP], "the app sees the original client address");
  });

  it("reconcile after an agent restart leaves correct rules alone and keeps live connections", async () => {
    const out4 = servers[0];
    assert.ok(out4);
    const live = clients[0];
    assert.ok(live);
    const before = (await h.exec(h.name("pod"), ["nft", "-a", "list", "ruleset"])).stdout;
    // A new redirector (as after a process restart) with the same config.
    const fresh = new InpodRedirector(createLinuxNetnsExec());
    assert.equal(await fresh.reconcile(pod, cfg), "unchanged");
    const afterList = (await h.exec(h.name("pod"), ["nft", "-a", "list", "ruleset"])).stdout;
    assert.equal(afterList, before, "rules (and their handles) must be untouched");
    assert.equal(await roundTrip(live, "still"), "zt-out:still");
  });

  it("repairs drift (a deleted rule, a missing route) and switches DNS capture on and off", async () => {
    const json = JSON.parse(
      (await h.exec(h.name("pod"), ["nft", "-j", "list", "chain", "inet", INPOD_TABLES.nat, "istio-output"]))
        .stdout,
    ) as {
      nftables: { rule?: { handle: number } }[];
    };
    const handle = json.nftables.find((i) => i.rule)?.rule?.handle;
    assert.ok(handle !== undefined);
    await h.exec(h.name("pod"), [
      "nft",
      "delete",
      "rule",
      "inet",
      INPOD_TABLES.nat,
      "istio-output",
      "handle",
      String(handle),
    ]);
    await h.ip(h.name("pod"), ["-6", "route", "del", "local", "::/0", "dev", "lo", "table", "100"]);
    const drift = await redirector.inspect(pod, cfg);
    assert.equal(drift.nftDrift.length, 1);
    assert.deepEqual(drift.routingMissing, ["-6 route"]);
    assert.equal(await redirector.reconcile(pod, cfg), "repaired");
    assert.deepEqual(await redirector.inspect(pod, cfg), { nftDrift: [], routingMissing: [] });

    const dns = { ...cfg, dnsCapture: true };
    assert.equal(await redirector.reconcile(pod, dns), "repaired");
    assert.match(
      (await h.exec(h.name("pod"), ["nft", "list", "tables"])).stdout,
      new RegExp(INPOD_TABLES.raw),
    );
    assert.equal(await redirector.reconcile(pod, cfg), "repaired");
    assert.doesNotMatch(
      (await h.exec(h.name("pod"), ["nft", "list", "tables"])).stdout,
      new RegExp(INPOD_TABLES.raw),
    );
  });

  it("removal leaves nothing behind", async () => {
    await redirector.remove(pod);
    assert.equal(await redirector.isClean(pod), true);
    assert.equal((await h.exec(h.name("pod"), ["nft", "list", "ruleset"])).stdout.trim(), "");
    for (const fam of ["-4", "-6"]) {
      assert.doesNotMatch((await h.ip(h.name("pod"), [fam, "rule", "show"])).stdout, /0x111/);
      assert.equal((await h.ip(h.name("pod"), [fam, "route", "show", "table", "100"])).stdout.trim(), "");
    }
    await redirector.remove(pod); // idempotent
    // Without rules, outbound goes straight to the peer.
    const c = await connect({ netns: pod, host: PEER_IP, port: 8080 });
    assert.equal(await roundTrip(c, "bare"), "peer:bare");
  });
});
