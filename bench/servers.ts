import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NetnsHarness, TwoNodeTopology } from "@ambit/testing";
import { BenchPorts } from "./bench-ports.js";
import type { Upstream } from "./paths/bench-path.js";
import { type ProcGroup, spawnGroup, waitForListen } from "./procs.js";

/** The server pod's workloads: nginx answering `/1k` with 1024 bytes, and an iperf3 server. */
export interface ServerPod {
  readonly upstreams: readonly Upstream[];
  readonly procs: readonly ProcGroup[];
}

/**
 * nginx as the application: one worker (it shares two cores with everything else), keep-alive
 * without a request limit, no access log, the body from a static file (exact Content-Length).
 */
export function httpServerConf(dir: string, ip: string): string {
  return `worker_processes 1;
daemon off;
pid ${join(dir, "app.pid")};
error_log ${join(dir, "app.log")} warn;
events { worker_connections 16384; multi_accept on; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen ${ip}:${BenchPorts.http} reuseport backlog=4096;
    root ${join(dir, "www")};
    location = /1k { default_type application/octet-stream; }
  }
}
`;
}

export async function startServerPod(
  h: NetnsHarness,
  topo: TwoNodeTopology,
  dir: string,
): Promise<ServerPod> {
  mkdirSync(join(dir, "www"), { recursive: true });
  writeFileSync(join(dir, "www", "1k"), Buffer.alloc(1024, "x"));
  const conf = join(dir, "app.conf");
  writeFileSync(conf, httpServerConf(dir, topo.podB.ip));
  const ns = topo.podB.ns;
  const log = (n: string): string => join(dir, `${n}.out`);
  const nginx = spawnGroup(h, ns, ["nginx", "-e", join(dir, "app.log"), "-p", dir, "-c", conf], {
    label: "app nginx (server pod)",
    side: "server-pod",
    logFile: log("nginx"),
  });
  const iperf = spawnGroup(h, ns, ["iperf3", "-s", "-B", topo.podB.ip, "-p", String(BenchPorts.iperf)], {
    label: "iperf3 -s (server pod)",
    side: "server-pod",
    logFile: log("iperf3"),
  });
  await waitForListen(h, ns, BenchPorts.http, { group: nginx });
  await waitForListen(h, ns, BenchPorts.iperf, { group: iperf });
  return {
    upstreams: [
      { name: "http", ip: topo.podB.ip, port: BenchPorts.http },
      { name: "iperf", ip: topo.podB.ip, port: BenchPorts.iperf },
    ],
    procs: [nginx, iperf],
  };
}
