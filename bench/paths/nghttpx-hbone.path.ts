import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BenchPorts } from "../bench-ports.js";
import type { BenchPath, PathContext, UpstreamName } from "./bench-path.js";
import { clientPort, hostPort, nodeATargets, upstream } from "./upstreams.js";

const NAMES: readonly UpstreamName[] = ["http", "iperf"];

/**
 * HTTP/2 flow-control windows for both nghttpx ends. nghttpx's 64 KiB default caps a single
 * stream far below the link; HBONE implementations raise them (ztunnel does), so we do too.
 */
const WINDOWS = [
  "--frontend-http2-window-size=4M",
  "--frontend-http2-connection-window-size=16M",
  "--backend-http2-window-size=4M",
  "--backend-http2-connection-window-size=16M",
];

/** tinyproxy as node B's CONNECT dialer: loopback only, CONNECT only to the upstream ports. */
export function tinyproxyConf(ctx: PathContext): string {
  const ports = NAMES.map((n) => `ConnectPort ${upstream(ctx, n).port}`).join("\n");
  return `User root
Group root
Port ${BenchPorts.localDialer}
Listen 127.0.0.1
Timeout 600
MaxClients 4096
Allow 127.0.0.1
${ports}
LogLevel Error
PidFile "${join(ctx.workDir, "tinyproxy.pid")}"
`;
}

/** Argv of node A's nghttpx: plain HTTP/1.1 CONNECT in (loopback), HBONE (h2 CONNECT, mTLS) out. */
export function nghttpxClientArgs(ctx: PathContext): string[] {
  const p = ctx.pki;
  const tunnel = `${ctx.topo.nodeB.ip},${BenchPorts.tunnel};;proto=h2;tls;sni=${p.serverName}`;
  return [
    "nghttpx",
    "--conf=/dev/null",
    "--http2-proxy",
    "--workers=1",
    `--frontend=127.0.0.1,${BenchPorts.localConnect};no-tls`,
    `--backend=${tunnel}`,
    `--client-private-key-file=${p.clientKey}`,
    `--client-cert-file=${p.clientCert}`,
    `--cacert=${p.caCert}`,
    "--tls-min-proto-version=TLSv1.3",
    "--no-via",
    "--errorlog-file=/dev/stderr",
    ...WINDOWS,
  ];
}

/** Argv of node B's nghttpx: HBONE in (client certificate required), HTTP/1.1 CONNECT to tinyproxy. */
export function nghttpxServerArgs(ctx: PathContext): string[] {
  const p = ctx.pki;
  return [
    "nghttpx",
    "--conf=/dev/null",
    "--http2-proxy",
    "--workers=1",
    `--frontend=${ctx.topo.nodeB.ip},${BenchPorts.tunnel}`,
    `--backend=127.0.0.1,${BenchPorts.localDialer}`,
    "--no-ocsp", // no OCSP responder in the bench PKI: skip the fetch helper it would fork
    "--verify-client",
    `--verify-client-cacert=${p.caCert}`,
    "--tls-min-proto-version=TLSv1.3",
    "--no-via",
    "--errorlog-file=/dev/stderr",
    ...WINDOWS,
    p.serverKey,
    p.serverCert,
  ];
}

/** socat on node A turns a plain TCP port into an HTTP/1.1 CONNECT to the local nghttpx. */
export function socatArgs(ctx: PathContext, name: UpstreamName): string[] {
  const u = upstream(ctx, name);
  return [
    "socat",
    `TCP-LISTEN:${clientPort(name)},bind=${ctx.topo.nodeA.ip},fork,reuseaddr,backlog=1024`,
    `PROXY:127.0.0.1:${hostPort(u)},proxyport=${BenchPorts.localConnect}`,
  ];
}

/** nghttpx HBONE pair: socat → nghttpx ⇒ h2 CONNECT over mTLS ⇒ nghttpx → tinyproxy → server. */
export const benchPath: BenchPath = {
  name: "nghttpx-hbone",
  kind: "peer",
  description:
    "nghttpx HBONE pair: socat (TCP→CONNECT) → nghttpx ⇒ HTTP/2 CONNECT, mTLS ⇒ nghttpx → tinyproxy (dialer)",
  needs: [
    { bin: "nghttpx", pkg: "nghttp2-proxy" },
    { bin: "tinyproxy", pkg: "tinyproxy" },
    { bin: "socat", pkg: "socat" },
  ],
  async setup(ctx) {
    const { topo } = ctx;
    const tpConf = join(ctx.workDir, "tinyproxy.conf");
    writeFileSync(tpConf, tinyproxyConf(ctx));
    const tp = ctx.spawn(topo.nodeB.ns, ["tinyproxy", "-d", "-c", tpConf], {
      label: "tinyproxy (node B)",
      side: "node-b",
    });
    await ctx.waitForListen(topo.nodeB.ns, BenchPorts.localDialer, tp);
    const b = ctx.spawn(topo.nodeB.ns, nghttpxServerArgs(ctx), { label: "nghttpx (node B)", side: "node-b" });
    await ctx.waitForListen(topo.nodeB.ns, BenchPorts.tunnel, b);
    const a = ctx.spawn(topo.nodeA.ns, nghttpxClientArgs(ctx), { label: "nghttpx (node A)", side: "node-a" });
    await ctx.waitForListen(topo.nodeA.ns, BenchPorts.localConnect, a);
    const socats = NAMES.map((n) =>
      ctx.spawn(topo.nodeA.ns, socatArgs(ctx, n), { label: `socat ${n} (node A)`, side: "node-a" }),
    );
    for (const [i, n] of NAMES.entries()) await ctx.waitForListen(topo.nodeA.ns, clientPort(n), socats[i]);
    return { targets: nodeATargets(ctx), procs: [a, ...socats, b, tp] };
  },
  async teardown() {},
};
