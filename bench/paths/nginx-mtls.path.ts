import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BenchPorts } from "../bench-ports.js";
import type { BenchPath, PathContext, UpstreamName } from "./bench-path.js";
import { clientPort, hostPort, nodeATargets, upstream } from "./upstreams.js";

const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";
const NAMES: readonly UpstreamName[] = ["http", "iperf"];

/** SNI that node A sends for each upstream; node B maps it back to the server-pod address. */
function sniFor(ctx: PathContext, name: UpstreamName): string {
  return `${name}.${ctx.pki.serverName}`;
}

function head(ctx: PathContext, tag: string): string {
  return [
    `load_module ${STREAM_MODULE};`,
    "worker_processes 1;",
    "daemon off;",
    `pid ${join(ctx.workDir, `nginx-${tag}.pid`)};`,
    `error_log ${join(ctx.workDir, `nginx-${tag}.log`)} warn;`,
    "events { worker_connections 16384; multi_accept on; }",
  ].join("\n");
}

/** Node A: plain TCP in, TLS 1.3 + client certificate out, one listener per upstream. */
export function nginxClientConf(ctx: PathContext): string {
  const p = ctx.pki;
  const servers = NAMES.map(
    (n) => `  server {
    listen ${ctx.topo.nodeA.ip}:${clientPort(n)} reuseport;
    proxy_pass ${ctx.topo.nodeB.ip}:${BenchPorts.tunnel};
    proxy_ssl on;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;
    proxy_ssl_certificate ${p.clientCert};
    proxy_ssl_certificate_key ${p.clientKey};
    proxy_ssl_trusted_certificate ${p.caCert};
    proxy_ssl_verify on;
    proxy_ssl_server_name on;
    proxy_ssl_name ${sniFor(ctx, n)};
  }`,
  );
  return `${head(ctx, "a")}\nstream {\n${servers.join("\n")}\n}\n`;
}

/** Node B: TLS in (client certificate required), routed by SNI to the server pod. */
export function nginxServerConf(ctx: PathContext): string {
  const p = ctx.pki;
  const map = NAMES.map((n) => `    ${sniFor(ctx, n)} ${hostPort(upstream(ctx, n))};`).join("\n");
  return `${head(ctx, "b")}
stream {
  map $ssl_server_name $bench_upstream {
${map}
    default 127.0.0.1:1;
  }
  server {
    listen ${ctx.topo.nodeB.ip}:${BenchPorts.tunnel} ssl reuseport;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate ${p.serverCert};
    ssl_certificate_key ${p.serverKey};
    ssl_client_certificate ${p.caCert};
    ssl_verify_client on;
    proxy_pass $bench_upstream;
  }
}
`;
}

/** nginx `stream` TLS pair: the classic "mTLS tunnel between two node proxies" without HTTP/2. */
export const benchPath: BenchPath = {
  name: "nginx-mtls",
  kind: "peer",
  description:
    "nginx stream pair: TCP → TLS 1.3 mTLS (P-256, SNI-routed) → TCP, one TLS connection per client connection",
  needs: [
    { bin: "nginx", pkg: "nginx" },
    { bin: STREAM_MODULE, pkg: "libnginx-mod-stream" },
  ],
  async setup(ctx) {
    const { topo } = ctx;
    const confB = join(ctx.workDir, "nginx-b.conf");
    const confA = join(ctx.workDir, "nginx-a.conf");
    writeFileSync(confB, nginxServerConf(ctx));
    writeFileSync(confA, nginxClientConf(ctx));
    const errLog = (t: string): string[] => ["-e", join(ctx.workDir, `nginx-${t}.log`)];
    const b = ctx.spawn(topo.nodeB.ns, ["nginx", ...errLog("b"), "-p", ctx.workDir, "-c", confB], {
      label: "nginx (node B)",
      side: "node-b",
    });
    const a = ctx.spawn(topo.nodeA.ns, ["nginx", ...errLog("a"), "-p", ctx.workDir, "-c", confA], {
      label: "nginx (node A)",
      side: "node-a",
    });
    await ctx.waitForListen(topo.nodeB.ns, BenchPorts.tunnel, b);
    for (const n of NAMES) await ctx.waitForListen(topo.nodeA.ns, clientPort(n), a);
    return { targets: nodeATargets(ctx), procs: [a, b] };
  },
  async teardown() {},
};
