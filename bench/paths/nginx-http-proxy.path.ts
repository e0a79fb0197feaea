import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchPath, PathContext } from "./bench-path.js";
import { clientPort, hostPort, nodeATargets, upstream } from "./upstreams.js";

const STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

/**
 * nginx on node A as a plain HTTP/1.1 reverse proxy to the server pod: one worker, keep-alive to
 * the clients and a pool of keep-alive upstream connections, no TLS, no access log. iperf3 (not
 * HTTP) crosses the same nginx as a `stream` TCP proxy, as a waypoint carries opaque TCP at L4.
 */
export function nginxHttpProxyConf(ctx: PathContext): string {
  const a = ctx.topo.nodeA.ip;
  return `load_module ${STREAM_MODULE};
worker_processes 1;
daemon off;
pid ${join(ctx.workDir, "nginx.pid")};
error_log ${join(ctx.workDir, "nginx.log")} warn;
events { worker_connections 16384; multi_accept on; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  upstream server_pod {
    server ${hostPort(upstream(ctx, "http"))};
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen ${a}:${clientPort("http")} reuseport backlog=4096;
    location / {
      proxy_pass http://server_pod;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
stream {
  server {
    listen ${a}:${clientPort("iperf")} reuseport;
    proxy_pass ${hostPort(upstream(ctx, "iperf"))};
  }
}
`;
}

/** Peer for the waypoint: one L7 proxy hop with no mesh (no mTLS, no policy, no telemetry). */
export const benchPath: BenchPath = {
  name: "nginx-http-proxy",
  kind: "peer",
  description:
    "nginx on node A as a plain HTTP/1.1 reverse proxy (1 worker, keep-alive upstream pool) → server pod; iperf3 via nginx stream; no TLS",
  // --quick: one repetition, so that adding this peer keeps the quick run short (full run: all).
  quickReps: 1,
  needs: [
    { bin: "nginx", pkg: "nginx" },
    { bin: STREAM_MODULE, pkg: "libnginx-mod-stream" },
  ],
  async setup(ctx) {
    const conf = join(ctx.workDir, "nginx.conf");
    writeFileSync(conf, nginxHttpProxyConf(ctx));
    const ns = ctx.topo.nodeA.ns;
    const g = ctx.spawn(ns, ["nginx", "-e", join(ctx.workDir, "nginx.log"), "-p", ctx.workDir, "-c", conf], {
      label: "nginx http proxy (node A)",
      side: "node-a",
    });
    await ctx.waitForListen(ns, clientPort("http"), g);
    await ctx.waitForListen(ns, clientPort("iperf"), g);
    return { targets: nodeATargets(ctx), procs: [g] };
  },
  async teardown() {},
};
