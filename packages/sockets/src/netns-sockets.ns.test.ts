import assert from "node:assert/strict";
import { once } from "node:events";
import type net from "node:net";
import { after, before, describe, test } from "node:test";
import { Ports, ZTUNNEL_MARK } from "@ambit/api";
import {
  createTwoNodeTopology,
  NetnsHarness as Harness,
  type NetnsHarness,
  readWhoAmI,
  startEchoServer,
  type TwoNodeTopology,
  useLeakCheck,
} from "@ambit/testing";
import { closeFd, currentNetnsInode, netnsInode, openNetnsFd } from "./netns-fd.js";
import {
  connectInNetns,
  getMark,
  getOriginalDst,
  listenInNetns,
  openListenFd,
  setMark,
} from "./netns-sockets.js";
import { SocketsError } from "./sockets-error.js";

/** Asserts a promise/function fails with a SocketsError of `code` whose message matches `re`. */
async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string, re?: RegExp): Promise<void> {
  await assert.rejects(
    async () => (typeof p === "function" ? p() : p),
    (e: unknown) => {
      assert.ok(e instanceof SocketsError, `expected SocketsError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      if (re !== undefined) assert.match(e.message, re);
      assert.doesNotMatch(e.message, /errno -?\d+|\(-?\d+\)/, "no bare errno numbers");
      return true;
    },
  );
}

function acceptOne(server: net.Server): Promise<net.Socket> {
  return once(server, "connection").then(([s]) => s as net.Socket);
}

const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

describe("@ambit/sockets in real network namespaces", () => {
  let h: NetnsHarness;
  let t: TwoNodeTopology;
  const ownNetns = currentNetnsInode();

  before(async () => {
    h = await Harness.create();
    t = await createTwoNodeTopology(h);
    // Pod A: capture all TCP except the proxy's own (marked) traffic, like the node agent's rules.
    await h.ip(t.podA.ns, ["-6", "addr", "add", "fd00:a::2/64", "dev", "eth0", "nodad"]);
    await h.nft(
      t.podA.ns,
      `table ip amb {
        chain out {
          type nat hook output priority -100; policy accept;
          meta mark != ${ZTUNNEL_MARK} meta l4proto tcp ip daddr 10.20.2.2 redirect to :${Ports.outbound}
        }
      }
      table ip6 amb6 {
        chain out {
          type nat hook output priority -100; policy accept;
          meta l4proto tcp ip6 daddr fd00:a::9 redirect to :${Ports.outbound}
        }
      }`,
    );
    // Node A: replies to transparent (spoofed-source) sockets are delivered locally, not forwarded.
    await h.nft(
      t.nodeA.ns,
      `table ip amb_tp {
        chain pre {
          type filter hook prerouting priority mangle; policy accept;
          socket transparent 1 meta mark set 0x1
        }
      }`,
    );
    await h.ip(t.nodeA.ns, ["rule", "add", "fwmark", "0x1", "lookup", "100"]);
    await h.ip(t.nodeA.ns, ["route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"]);
  });
  after(async () => {
    await h.cleanup();
    assert.equal(currentNetnsInode(), ownNetns);
  });

  test("a listener opened in a pod netns by this process accepts connections there", async () => {
    // 10.20.2.2 exists only inside podB: binding it here proves the socket lives in podB.
    await rejectsWith(() => openListenFd({ host: "10.20.2.2", port: 0 }), "address_not_available");
    const server = await listenInNetns({ netns: t.podB.path, host: "10.20.2.2", port: 0 }, (s) =>
      s.end(`hi ${s.remoteAddress}`),
    );
    const { port } = server.address() as net.AddressInfo;
    // The client runs in node A (pod A's own traffic would be captured by its redirect rule).
    const { stdout } = await h.exec(t.nodeA.ns, [
      process.execPath,
      "-e",
      `net.connect(${port}, "10.20.2.2").on("data", (d) => process.stdout.write(d))`,
    ]);
    assert.equal(
      stdout,
      "hi 10.10.0.11",
      "a client in node A reached the listener in podB across the bridge",
    );
    assert.equal(currentNetnsInode(), ownNetns);
    await close(server);
  });

  test("REDIRECT in a pod netns + SO_ORIGINAL_DST recovers the dialled destination (v4 and v6)", async () => {
    const proxy = await listenInNetns({ netns: t.podA.path, host: "::", port: Ports.outbound });
    for (const [host, port] of [
      ["10.20.2.2", 8080],
      ["fd00:a::9", 9090],
    ] as const) {
      const accepted = acceptOne(proxy);
      const client = await connectInNetns({ netns: t.podA.path, host, port });
      const s = await accepted;
      assert.equal(s.localPort, Ports.outbound, "the connection landed on the redirect listener");
      assert.deepEqual(getOriginalDst(s), { ip: host, port });
      client.destroy();
      s.destroy();
    }
    // A tracked but not redirected connection reports the address it was really sent to.
    const direct = acceptOne(proxy);
    const c = await connectInNetns({ netns: t.podA.path, host: "127.0.0.1", port: Ports.outbound });
    const s = await direct;
    assert.deepEqual(getOriginalDst(s), { ip: "127.0.0.1", port: Ports.outbound });
    c.destroy();
    s.destroy();
    await close(proxy);
  });

  test("without conntrack in the namespace getOriginalDst fails with not_redirected", async () => {
    const ns = await h.addNamespace("nonat");
    const srv = await listenInNetns({ netns: h.path(ns), host: "127.0.0.1", port: 0 });
    const accepted = acceptOne(srv);
    const c = await connectInNetns({
      netns: h.path(ns),
      host: "127.0.0.1",
      port: (srv.address() as net.AddressInfo).port,
    });
    const s = await accepted;
    assert.throws(
      () => getOriginalDst(s),
      (e: unknown) =>
        e instanceof SocketsError && e.code === "not_redirected" && /no conntrack NAT entry/.test(e.message),
    );
    c.destroy();
    s.destroy();
    await close(srv);
  });

  test(`a socket marked ${ZTUNNEL_MARK} bypasses the REDIRECT rule that catches unmarked traffic`, async () => {
    const echo = await startEchoServer({ netns: t.podB.path, host: "10.20.2.2", whoAmI: true });
    const proxy = await listenInNetns({ netns: t.podA.path, host: "0.0.0.0", port: Ports.outbound });
    const captured = acceptOne(proxy);
    const unmarked = await connectInNetns({ netns: t.podA.path, host: "10.20.2.2", port: echo.port });
    assert.deepEqual(getOriginalDst(await captured), { ip: "10.20.2.2", port: echo.port });
    unmarked.destroy();
    (await captured).destroy();

    const marked = await connectInNetns({
      netns: t.podA.path,
      host: "10.20.2.2",
      port: echo.port,
      mark: ZTUNNEL_MARK,
    });
    assert.equal(getMark(marked), ZTUNNEL_MARK);
    const who = await readWhoAmI(marked);
    assert.deepEqual(who.local, { ip: "10.20.2.2", port: echo.port }, "reached the real server in podB");
    assert.equal(who.remote.ip, "10.20.1.2");
    marked.destroy();
    await close(proxy);
    await echo.close();
  });

  test("setMark/getMark work on an existing listener; bad marks and closed sockets are rejected", async () => {
    const srv = await listenInNetns({ host: "127.0.0.1", port: 0 });
    setMark(srv, 0x1234);
    assert.equal(getMark(srv), 0x1234);
    assert.throws(
      () => setMark(srv, -1),
      (e: unknown) => e instanceof SocketsError && e.code === "invalid_argument",
    );
    await close(srv);
    assert.throws(() => setMark(srv, 1), /socket has no fd/);
  });

  test("a transparent connect shows the spoofed source address to the server", async () => {
    const echo = await startEchoServer({ netns: t.podB.path, host: "10.20.2.2", whoAmI: true });
    // From node A (the proxy's namespace), pretend to be podA: the server must see podA's address.
    const spoofed = await connectInNetns({
      netns: t.nodeA.path,
      host: "10.20.2.2",
      port: echo.port,
      transparentSource: { ip: t.podA.ip, port: 40_001 },
      mark: ZTUNNEL_MARK,
    });
    assert.deepEqual((await readWhoAmI(spoofed)).remote, { ip: t.podA.ip, port: 40_001 });
    spoofed.destroy();
    const anyPort = await connectInNetns({
      netns: t.nodeA.path,
      host: "10.20.2.2",
      port: echo.port,
      transparentSource: { ip: t.podA.ip },
    });
    assert.equal((await readWhoAmI(anyPort)).remote.ip, t.podA.ip);
    anyPort.destroy();
    await echo.close();
  });

  test("IP_TRANSPARENT listener: a foreign address binds only with `transparent`, and TPROXY'd traffic reaches it", async () => {
    // Own pair: client 10.99.0.1 ↔ proxy 10.99.0.2. 203.0.113.7 / fd00:7::7 exist nowhere.
    const proxyNs = await h.addNamespace("tproxy");
    const clientNs = await h.addNamespace("tpclient");
    await h.addVeth({ ns: clientNs, name: "tp0" }, { ns: proxyNs, name: "tp1" });
    await h.addAddress(clientNs, "tp0", "10.99.0.1/24");
    await h.addAddress(proxyNs, "tp1", "10.99.0.2/24");
    await h.addRoute(clientNs, "203.0.113.7/32", { via: "10.99.0.2" });
    // TPROXY as a transparent proxy sets it up: the rule hands SYNs for the foreign address to a
    // *transparent* socket listening there and marks them; the mark routes them to local delivery.
    await h.nft(
      proxyNs,
      `table ip amb_tproxy {
        chain pre {
          type filter hook prerouting priority mangle; policy accept;
          ip daddr 203.0.113.7 meta l4proto tcp tproxy to 203.0.113.7 meta mark set 0x1 accept
        }
      }`,
    );
    await h.ip(proxyNs, ["rule", "add", "fwmark", "0x1", "lookup", "100"]);
    await h.ip(proxyNs, ["route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"]);
    const netns = h.path(proxyNs);

    for (const host of ["203.0.113.7", "fd00:7::7"]) {
      await rejectsWith(() => openListenFd({ netns, host, port: 0 }), "address_not_available", /namespace/);
    }
    const v6 = await listenInNetns({ netns, host: "fd00:7::7", port: 0, transparent: true });
    assert.equal((v6.address() as net.AddressInfo).address, "fd00:7::7");
    await close(v6);

    const proxy = await listenInNetns({ netns, host: "203.0.113.7", port: 0, transparent: true });
    const { port } = proxy.address() as net.AddressInfo;
    const accepted = acceptOne(proxy);
    const client = await connectInNetns({
      netns: h.path(clientNs),
      host: "203.0.113.7",
      port,
      timeoutMs: 3000,
    });
    const s = await accepted;
    assert.equal(s.localAddress, "203.0.113.7", "accepted as the dialled foreign address");
    assert.equal(s.remoteAddress, "10.99.0.1");
    s.end("via tproxy");
    assert.equal((await client.toArray()).join(""), "via tproxy");
    client.destroy();
    await close(proxy);

    // Control: the same rule with a listener lacking IP_TRANSPARENT. TPROXY skips the socket, the
    // packet is routed as usual (not local, no forwarding) and the connect fails.
    const plain = await listenInNetns({ netns, host: "0.0.0.0", port: 0 });
    let plainConnections = 0;
    plain.on("connection", (c: net.Socket) => {
      plainConnections++;
      c.destroy();
    });
    const plainPort = (plain.address() as net.AddressInfo).port;
    await assert.rejects(
      connectInNetns({ netns: h.path(clientNs), host: "203.0.113.7", port: plainPort, timeoutMs: 500 }),
      (e: unknown) => e instanceof SocketsError && ["unreachable", "timeout"].includes(e.code),
    );
    assert.equal(plainConnections, 0);
    await close(plain);
  });

  test("connect never blocks the event loop; refused and unanswered connects fail typed", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    // 10.20.1.99 is on podA's link but nobody answers ARP: the SYN never leaves.
    await rejectsWith(
      connectInNetns({ netns: t.podA.path, host: "10.20.1.99", port: 80, timeoutMs: 300 }),
      "timeout",
      /connect in netns .*podA to 10\.20\.1\.99:80: no answer within 300 ms/,
    );
    clearInterval(timer);
    assert.ok(Date.now() - started >= 290);
    assert.ok(ticks >= 10, `event loop kept running during the connect (ticks=${ticks})`);
    await rejectsWith(
      connectInNetns({ netns: t.podB.path, host: "10.20.2.2", port: 1 }),
      "connection_refused",
      /connection refused \[ECONNREFUSED in connect\]/,
    );
  });

  test("bad inputs and missing namespaces fail with typed, readable errors", async () => {
    const missing = `/var/run/netns/${h.prefix}does-not-exist`;
    await rejectsWith(
      listenInNetns({ netns: missing, host: "0.0.0.0", port: 0 }),
      "netns_not_found",
      new RegExp(`network namespace not found: ${missing}`),
    );
    await rejectsWith(connectInNetns({ netns: missing, host: "10.0.0.1", port: 1 }), "netns_not_found");
    await rejectsWith(() => openNetnsFd(missing), "netns_not_found");
    await rejectsWith(
      () => openListenFd({ netns: "/etc/hostname", host: "0.0.0.0", port: 0 }),
      "not_a_netns",
    );
    await rejectsWith(() => openListenFd({ netns: 999_999, host: "0.0.0.0", port: 0 }), "invalid_argument");
    await rejectsWith(() => openListenFd({ netns: "", host: "0.0.0.0", port: 0 }), "invalid_argument");
    await rejectsWith(() => openListenFd({ host: "localhost", port: 0 }), "invalid_argument", /IP literal/);
    await rejectsWith(() => openListenFd({ host: "0.0.0.0", port: 70_000 }), "invalid_argument", /port/);
    await rejectsWith(() => openListenFd({ host: "0.0.0.0", port: 0, mark: 2 ** 32 }), "invalid_argument");
    await rejectsWith(
      connectInNetns({ host: "127.0.0.1", port: 1, transparentSource: { ip: "::1" } }),
      "invalid_argument",
    );
    const a = await listenInNetns({ netns: t.podA.path, host: "0.0.0.0", port: 0 });
    const { port } = a.address() as net.AddressInfo;
    await rejectsWith(
      listenInNetns({ netns: t.podA.path, host: "0.0.0.0", port }),
      "address_in_use",
      /address already in use \[EADDRINUSE in bind\]/,
    );
    await close(a);
    // With SO_REUSEPORT on both, two listeners share the port (zero-downtime restarts).
    const r1 = await listenInNetns({ netns: t.podA.path, host: "0.0.0.0", port: 0, reusePort: true });
    const p = (r1.address() as net.AddressInfo).port;
    const r2 = await listenInNetns({ netns: t.podA.path, host: "0.0.0.0", port: p, reusePort: true });
    await close(r1);
    await close(r2);
  });

  test("an open netns fd works as the namespace after its path is gone", async () => {
    const ns = await h.addNamespace("fdonly");
    const fd = openNetnsFd(h.path(ns));
    try {
      assert.equal(netnsInode(fd), netnsInode(h.path(ns)));
      const srv = await listenInNetns({ netns: fd, host: "127.0.0.1", port: 0 });
      await close(srv);
    } finally {
      closeFd(fd);
    }
  });

  test("thousands of calls, many failing half-way, leave the thread in its own netns and leak no fds", async (tc) => {
    // Warm up lazily created runtime fds before the leak baseline.
    await close(await listenInNetns({ netns: t.podA.path, host: "127.0.0.1", port: 0 }));
    useLeakCheck(tc);
    const missing = `/var/run/netns/${h.prefix}missing`;
    const counts = {
      ok: 0,
      netns_not_found: 0,
      not_a_netns: 0,
      address_not_available: 0,
      connection_refused: 0,
    };
    for (let i = 0; i < 4000; i++) {
      try {
        switch (i % 4) {
          case 0:
            closeFd(openListenFd({ netns: t.podA.path, host: "127.0.0.1", port: 0, mark: ZTUNNEL_MARK }));
            counts.ok++;
            break;
          case 1:
            openListenFd({ netns: missing, host: "127.0.0.1", port: 0 });
            break;
          case 2:
            openListenFd({ netns: "/proc/self/stat", host: "127.0.0.1", port: 0 });
            break;
          default:
            openListenFd({ netns: t.podB.path, host: "10.20.1.2", port: 0 }); // podA's IP, not podB's
        }
      } catch (e) {
        assert.ok(e instanceof SocketsError);
        counts[e.code as keyof typeof counts]++;
      }
      if (i % 20 === 0) {
        await connectInNetns({ netns: t.podB.path, host: "10.20.2.2", port: 1 }).catch((e: SocketsError) => {
          counts[e.code as keyof typeof counts]++;
        });
      }
    }
    assert.deepEqual(counts, {
      ok: 1000,
      netns_not_found: 1000,
      not_a_netns: 1000,
      address_not_available: 1000,
      connection_refused: 200,
    });
    assert.equal(currentNetnsInode(), ownNetns);
    assert.equal(currentNetnsInode(), netnsInode("/proc/self/ns/net"));
  });
});
