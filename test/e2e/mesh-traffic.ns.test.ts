/**
 * Security suite, part 1 (issue 7): who can talk to whom, and what each side can prove about it.
 * One real 2-node cluster (control plane, ztunnels, node agents from sources):
 *   mesh ns   (ambient): client, near, sender-1..3 (node-1) · far, vault (node-2) · Services near, far
 *   plain ns  (no mesh): outsider (node-1) · legacy (node-2)
 * - mesh → mesh, same node and cross node, by pod IP and by VIP: the server sees the client's pod
 *   IP; the destination ztunnel records the client's SPIFFE id, the source ztunnel the server's.
 * - non-mesh → mesh under PERMISSIVE (plaintext via 15006) and STRICT (refused, reason logged);
 *   mesh → non-mesh passthrough (plain TCP).
 * - encryption proof: tcpdump on the cluster bridge's ports while a marker crosses nodes in the mesh (never
 *   seen on the wire; TLS 1.3 ServerHello from :15008) and outside it (seen: the capture works).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ports } from "@ambit/api";
import { docs, namespace, peerAuthentication, pod, service } from "./support/manifests.js";
import { keyOf, type MeshCluster, startMeshCluster } from "./support/mesh-cluster.js";
import { parseServerHello, readTcpSegments, streamCoverage } from "./support/pcap.js";
import { ECHO_PORT, HTTP_PORT, httpGet, tcpEcho } from "./support/pod-traffic.js";
import { waitRefused } from "./support/refusal.js";
import { nowIso, waitFor } from "./support/wait.js";

const id = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

/** Mesh pods on node-1 used only by the encryption proof (each one try, see there). */
const SENDERS = ["sender-1", "sender-2", "sender-3"] as const;
/** The nodes' ports on the cluster bridge (in the bridge netns). */
const PORTS = ["n1", "n2"] as const;

const MANIFESTS = docs(
  namespace("mesh", true),
  namespace("plain", false),
  pod({ name: "client", namespace: "mesh", node: "node-1" }),
  pod({ name: "near", namespace: "mesh", node: "node-1", server: true }),
  pod({ name: "far", namespace: "mesh", node: "node-2", server: true }),
  pod({ name: "vault", namespace: "mesh", node: "node-2", server: true }),
  ...SENDERS.map((name) => pod({ name, namespace: "mesh", node: "node-1" })),
  service("near", "mesh", "near"),
  service("far", "mesh", "far"),
  pod({ name: "outsider", namespace: "plain", node: "node-1" }),
  pod({ name: "legacy", namespace: "plain", node: "node-2", server: true }),
);

describe("e2e security: mesh traffic, peer authentication, passthrough, encryption", () => {
  let c: MeshCluster;
  before(async () => {
    c = await startMeshCluster({ name: "traffic", manifests: MANIFESTS });
  });
  after(async () => {
    await c?.down();
  });

  const cases = [
    { name: "cross node, by pod IP", server: "far", node: "node-2", viaVip: false },
    { name: "cross node, by Service VIP", server: "far", node: "node-2", viaVip: true },
    { name: "same node, by pod IP", server: "near", node: "node-1", viaVip: false },
    { name: "same node, by Service VIP", server: "near", node: "node-1", viaVip: true },
  ];
  for (const k of cases) {
    it(`mesh → mesh ${k.name}: original client IP, SPIFFE ids on both sides`, async (t) => {
      const client = c.pod("client");
      const server = c.pod(k.server);
      assert.equal(server.node, k.node);
      const dst = k.viaVip ? `${c.vip(k.server)}:80` : `${server.ip}:${HTTP_PORT}`;
      const since = nowIso();
      const res = await httpGet(client.netns, `http://${dst}/`);
      assert.deepEqual(res, { status: 200, body: `from=${client.ip} pod=${k.server}` });
      const out = await c.waitRecord(
        "node-1",
        since,
        (r) => r.direction === "outbound" && r.dst_addr === dst && r.src_addr.startsWith(`${client.ip}:`),
      );
      assert.equal(out.src_identity, id("mesh", "client"));
      assert.equal(out.dst_identity, id("mesh", k.server), "source side records the server's identity");
      assert.equal(out.mtls, true);
      assert.equal(out.error, undefined);
      if (k.viaVip) assert.equal(out.dst_service, `${k.server}.mesh.svc.cluster.local`);
      const inb = await c.waitRecord(
        k.node,
        since,
        (r) => r.id === out.id && r.direction === "inbound" && r.bytes_sent > 0,
      );
      assert.equal(inb.src_identity, id("mesh", "client"), "destination side records the client's identity");
      assert.equal(inb.dst_identity, id("mesh", k.server));
      assert.equal(inb.dst_addr, `${server.ip}:${HTTP_PORT}`);
      assert.ok(inb.src_addr.startsWith(`${client.ip}:`), inb.src_addr);
      assert.equal(inb.mtls, true);
      // The response body (from=… pod=…) crossed back: the inbound side counted it.
      assert.ok(inb.bytes_sent >= res.body.length, JSON.stringify(inb));
      t.diagnostic(JSON.stringify([out, inb]));
    });
  }

  it("mesh → non-mesh: passthrough as plain TCP, the server sees the client's pod IP", () =>
    c.explain(async () => {
      const client = c.pod("client");
      const legacy = c.pod("legacy");
      const since = nowIso();
      const res = await httpGet(client.netns, `http://${legacy.ip}:${HTTP_PORT}/`);
      assert.deepEqual(res, { status: 200, body: `from=${client.ip} pod=legacy` });
      const out = await c.waitRecord(
        "node-1",
        since,
        (r) => r.direction === "outbound" && r.dst_addr === `${legacy.ip}:${HTTP_PORT}`,
      );
      assert.equal(out.mtls, false);
      assert.equal(out.hbone_next_hop, undefined, "no HBONE for a non-mesh destination");
      assert.equal(out.error, undefined);
      assert.ok(out.bytes_sent > 0 && out.bytes_received > 0, JSON.stringify(out));
      const inbound = (await c.records("node-2")).filter(
        (r) => r.at >= since && r.src_addr.startsWith(client.ip),
      );
      assert.deepEqual(inbound, [], "the non-mesh server's node ztunnel is not involved");
    }));

  it("non-mesh → mesh under PERMISSIVE: accepted as plaintext on 15006, no peer identity", () =>
    c.explain(async () => {
      await c.apply(peerAuthentication("mesh", "PERMISSIVE"));
      const outsider = c.pod("outsider");
      const far = c.pod("far");
      const since = nowIso();
      const res = await httpGet(outsider.netns, `http://${far.ip}:${HTTP_PORT}/`);
      assert.deepEqual(res, { status: 200, body: `from=${outsider.ip} pod=far` });
      const inb = await c.waitRecord(
        "node-2",
        since,
        (r) => r.direction === "inbound_plaintext" && r.src_addr.startsWith(`${outsider.ip}:`),
      );
      assert.equal(inb.mtls, false);
      assert.equal(inb.src_identity, undefined);
      assert.equal(inb.dst_identity, id("mesh", "far"));
      assert.equal(inb.error, undefined);
      assert.ok(inb.bytes_sent >= res.body.length, JSON.stringify(inb));
    }));

  it("non-mesh → mesh under STRICT: refused with a reason; mesh clients still served", (t) =>
    c.explain(async () => {
      await c.apply(peerAuthentication("mesh", "STRICT"));
      const outsider = c.pod("outsider");
      const far = c.pod("far");
      const url = `http://${far.ip}:${HTTP_PORT}/`;
      const since = nowIso();
      const { refused, record: rec } = await waitRefused(
        c,
        "STRICT to reach node-2's ztunnel (plaintext refused)",
        {
          node: "node-2",
          since,
          attempt: async () => {
            const r = await httpGet(outsider.netns, url);
            return "error" in r ? r : undefined;
          },
          // Not a `policy_changed_denied` close of a connection accepted just before STRICT arrived.
          pred: (r) =>
            r.direction === "inbound_plaintext" &&
            r.src_addr.startsWith(`${outsider.ip}:`) &&
            r.error === "denied",
          ms: 15_000,
        },
      );
      assert.match(refused.error, /ECONNRESET|socket hang up|EPIPE/);
      assert.equal(rec.response_flags, "DENY");
      assert.equal(rec.bytes_sent, 0);
      assert.match(rec.detail ?? "", /istio_converted_static_strict/, JSON.stringify(rec));
      t.diagnostic(JSON.stringify(rec));
      const ok = await httpGet(c.pod("client").netns, url);
      assert.deepEqual(ok, { status: 200, body: `from=${c.pod("client").ip} pod=far` });
      await c.remove(keyOf("PeerAuthentication", "mesh", "mtls-mode"));
      await waitFor(
        "plaintext accepted again after the PeerAuthentication is deleted",
        async () => ("status" in (await httpGet(outsider.netns, url)) ? true : undefined),
        15_000,
      );
    }));

  it("encryption: the marker never crosses the nodes in clear, TLS 1.3 to :15008 does", (t) =>
    c.explain(async () => {
      const vault = c.pod("vault");
      const outsider = c.pod("outsider");
      const legacy = c.pod("legacy");
      // A paced transfer (1 KiB per 10 ms) of N markers. The proof needs every tunnel byte in the
      // capture; tcpdump can drop packets on a starved box, so a capture with holes is retried from
      // the next sender (a sender that never talked to vault: a new HBONE connection and handshake).
      const N = 1000;
      for (const [i, sender] of SENDERS.entries()) {
        const client = c.pod(sender);
        const meshMarker = `MESH-MARKER-${randomBytes(8).toString("hex")}|`;
        const plainMarker = `PLAIN-MARKER-${randomBytes(8).toString("hex")}|`;
        // Two independent captures, on node-1's and on node-2's bridge port: both see every
        // inter-node packet, and a packet one of them drops is almost never dropped by the other.
        const pcaps = PORTS.map((dev) => join(c.stateDir, `${dev}-${i}.pcap`));
        const dumps = await Promise.all(PORTS.map((dev, k) => startTcpdump(c.bridgeNetns(), dev, pcaps[k]!)));
        let dumpErr = "";
        try {
          const mesh = await tcpEcho(client.netns, vault.ip, ECHO_PORT, meshMarker.repeat(N), {
            chunk: 1024,
          });
          assert.deepEqual(mesh, { echoed: meshMarker.length * N, same: true });
          // Control: the same kind of transfer outside the mesh IS visible, so the capture works.
          const plain = await tcpEcho(outsider.netns, legacy.ip, ECHO_PORT, plainMarker.repeat(50));
          assert.deepEqual(plain, { echoed: plainMarker.length * 50, same: true });
        } finally {
          dumpErr = (await Promise.all(dumps.map(stopTcpdump))).join(" ").replace(/\n/g, " ");
        }
        const files = pcaps.map((f) => readFileSync(f));
        for (const file of files) {
          assert.ok(file.includes(plainMarker), `control marker (non-mesh) not in the capture: ${dumpErr}`);
          assert.ok(!file.includes(meshMarker), "mesh marker found in clear on the inter-node link");
        }
        const segs = files.flatMap((f) => readTcpSegments(f));
        // Every byte of the tunnel, both ways, from the SYN on, was in the capture (no sequence holes),
        // and there were more of them than the marker transfer itself: it crossed here, encrypted.
        const tunnel = (up: boolean) =>
          segs.filter((s) =>
            up
              ? s.src === client.ip && s.dst === vault.ip && s.dport === Ports.hbone
              : s.src === vault.ip && s.sport === Ports.hbone && s.dst === client.ip,
          );
        const up = streamCoverage(tunnel(true));
        const down = streamCoverage(tunnel(false));
        const flows = `up ${JSON.stringify(up)} down ${JSON.stringify(down)}; ${dumpErr}`;
        const complete = up.fromSyn && down.fromSyn && up.missing + down.missing === 0;
        if (!complete && i < SENDERS.length - 1) {
          t.diagnostic(`capture ${i + 1} incomplete, retrying: ${flows}`);
          continue;
        }
        assert.ok(up.fromSyn && down.fromSyn, `the tunnel's TCP handshake must be in the capture: ${flows}`);
        assert.equal(up.missing + down.missing, 0, `the capture missed tunnel bytes: ${flows}`);
        assert.ok(up.span > meshMarker.length * N && down.span > meshMarker.length * N, flows);
        const direct = segs.filter((s) => s.dst === vault.ip && s.dport === ECHO_PORT);
        assert.equal(direct.length, 0, "no packet went to the app port across the nodes");
        const hellos = tunnel(false)
          .map((s) => parseServerHello(s.payload))
          .filter((h) => h !== undefined);
        assert.ok(hellos.length >= 1, "a ServerHello from vault:15008");
        for (const h of hellos) assert.equal(h.selectedVersion, 0x0304, `TLS 1.3: ${JSON.stringify(h)}`);
        t.diagnostic(
          `capture ${i + 1}: ${segs.length} segments, tunnel ${flows}, ServerHello ${JSON.stringify(hellos)}`,
        );
        return;
      }
    }));
});

/**
 * Captures on one node's port of the cluster bridge: an inter-node link every node-1 ↔ node-2 packet
 * crosses (a capture on br0 itself misses forwarded frames; `-i any` drops packets under load).
 * Not immediate mode: its ring has one snaplen-sized slot per packet and drops the large
 * segmentation-offload packets of a fast transfer. The default ring hands packets over in blocks
 * (up to 1 s late), so {@link stopTcpdump} waits for the last block before stopping it.
 */
async function startTcpdump(netns: string, dev: string, file: string): Promise<ChildProcess> {
  const p = spawn(
    "ip",
    ["netns", "exec", netns, "tcpdump", "-i", dev, "-nn", "-s", "0", "-B", "16384", "-U", "-w", file, "tcp"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  p.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  await waitFor(
    "tcpdump listening",
    async () => (err.includes("listening on") ? true : undefined),
    10_000,
    () => err,
  );
  await new Promise((r) => setTimeout(r, 300)); // margin: the banner comes as the ring is set up
  return p;
}

/** Stops the capture; resolves with tcpdump's stderr (its packet counts). */
async function stopTcpdump(p: ChildProcess): Promise<string> {
  let err = "";
  p.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  if (p.exitCode !== null) return err;
  await new Promise((r) => setTimeout(r, 1500));
  const done = new Promise((r) => p.once("exit", r));
  p.kill("SIGINT");
  await done;
  return err;
}
