/**
 * Child process of `waypoint-dataplane.bench.ts`: one real WaypointServer (real mTLS HBONE, real
 * config, Istio metrics and the JSON access log on stdout, which the parent discards) alone in
 * its process, so `process.cpuUsage()` / `memoryUsage()` are the waypoint's own cost.
 *
 * IPC: the parent sends `{cmd:"start", pems, backendPort}` (waypoint certificate, trust roots, and
 * where every upstream HBONE dial goes); the child answers `{t:"ready", port}`. Then
 * `{cmd:"usage", gc?}` → `{t:"usage", cpu, mem}`; `{cmd:"stop"}` exits.
 */
import net from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { makeIdentity } from "@ambit/api";
import type * as pb from "@ambit/api/pb";
import { createHboneSecureContext, HbonePool } from "@ambit/core";
import { fromWaypointConfig, stdoutAccessLog, WaypointMetrics, WaypointServer } from "@ambit/waypoint";

export const BENCH_VIP = "10.96.0.20";
export const BENCH_SERVICE_PORT = 80;
export const BENCH_ENDPOINT = "10.0.0.1";
export const BENCH_TARGET_PORT = 8080;

export type WaypointBenchCommand =
  | {
      readonly cmd: "start";
      readonly pems: { certChain: string; privateKey: string; roots: string };
      readonly backendPort: number;
    }
  | { readonly cmd: "usage"; readonly gc?: boolean }
  | { readonly cmd: "stop" };

export type WaypointBenchReply =
  | { readonly t: "ready"; readonly port: number }
  | {
      readonly t: "usage";
      readonly cpu: NodeJS.CpuUsage;
      readonly mem: NodeJS.MemoryUsage;
      /** Event-loop delay since the previous usage reply (ms): p99 and max stalls of the waypoint. */
      readonly loopDelay: { readonly p99: number; readonly max: number };
    };

const HOST = "web.default.svc.cluster.local";

async function start(m: Extract<WaypointBenchCommand, { cmd: "start" }>): Promise<number> {
  const ctx = createHboneSecureContext(m.pems);
  const pool = new HbonePool({
    dial: () =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: "127.0.0.1", port: m.backendPort, noDelay: true });
        s.once("error", reject);
        s.once("connect", () => {
          s.off("error", reject);
          resolve(s);
        });
      }),
  });
  // A plain object with every field the converter reads (bench/ resolves another
  // @bufbuild/protobuf copy than @ambit/api, so `create(Schema, …)` does not type-check here).
  const config = {
    namespace: "default",
    name: "waypoint",
    trustDomain: "cluster.local",
    listeners: [
      {
        hostname: HOST,
        name: "web",
        namespace: "default",
        addresses: [BENCH_VIP],
        ports: [
          { port: BENCH_SERVICE_PORT, targetPort: BENCH_TARGET_PORT, name: "http", appProtocol: "http" },
        ],
        routes: [],
      },
    ],
    backends: [
      {
        hostname: HOST,
        name: "web",
        namespace: "default",
        ports: [],
        endpoints: [
          {
            address: BENCH_ENDPOINT,
            identity: "spiffe://cluster.local/ns/default/sa/web",
            workload: "default/web",
            app: "web",
            version: "v1",
            ports: { [BENCH_SERVICE_PORT]: BENCH_TARGET_PORT },
          },
        ],
      },
    ],
    policies: [],
    jwtRules: [],
  };
  const state = fromWaypointConfig(config as unknown as pb.waypoint.WaypointConfig);
  const waypoint = new WaypointServer({
    identity: makeIdentity("default", "waypoint"),
    secureContext: () => ctx,
    state: () => state,
    jwtRules: () => [],
    pool,
    metrics: new WaypointMetrics(),
    accessLog: stdoutAccessLog,
  });
  const server = net.createServer((s) => waypoint.handleConnection(s));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

const send = (m: WaypointBenchReply) => process.send?.(m);
// 10 ms (Node's default): a 1 ms resolution wakes the loop 1000 times a second, which the CPU
// figure then charges to the waypoint.
const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();
// The bench went away (killed, crashed): do not outlive it.
process.on("disconnect", () => process.exit(0));
process.on("message", (m: WaypointBenchCommand) => {
  if (m.cmd === "start") void start(m).then((port) => send({ t: "ready", port }));
  else if (m.cmd === "usage") {
    // CPU first: the forced collections below are the bench's, not the waypoint's, work.
    const cpu = process.cpuUsage();
    if (m.gc) for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    // The histogram holds whole timer intervals; the delay is what exceeds the resolution.
    const late = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
    const loopDelay = { p99: late(loop.percentile(99)), max: late(loop.max) };
    loop.reset();
    send({ t: "usage", cpu, mem: process.memoryUsage(), loopDelay });
  } else process.exit(0);
});
