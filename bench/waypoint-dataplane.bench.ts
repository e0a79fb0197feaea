/**
 * Waypoint data-path micro-benchmark (issue #8, Performance: ≤ 0.25 vCPU per 1000 rps, added p99
 * ≤ 1 ms at 1000 rps). On loopback: HTTP/1.1 keep-alive clients → a ztunnel-outbound stand-in
 * (TCP → HBONE CONNECT with the `sleep` identity, core `pipeSocketStream`) → the waypoint (its own
 * child process, real mTLS, routing, metrics and access log) → HBONE to a ztunnel-inbound
 * stand-in (core `HboneServer`) → the HTTP/1.1 app answering 1 KiB. The same clients also hit the
 * app directly; "added" = through the waypoint minus direct, so it includes both HBONE hops of
 * the stand-ins (an upper bound for the waypoint alone). They also go through the two stand-ins
 * with no waypoint between them (`tunnel_*`, the component bench's `ambit-l4`), and
 * `added_over_tunnel_*` = through the waypoint minus that: what the waypoint itself adds.
 * CPU and RSS are the waypoint's only.
 *
 *   npm run bench -- waypoint [--reps 3] [--seconds 5] [--rps 1000] [--conns 16] [--size 1024]
 *        [--warmup 3] [--dist] [--profile DIR] [--json out.json] [--b-env NAME=VALUE] [--b-dir DIR]
 *        [--b-args="NODE FLAGS"]
 *
 * Environment for profiling: `WP_ARGS="--trace-deopt …"` adds flags to the waypoint's `node`;
 * `WP_STDOUT=1` shows its stdout (the access log and V8's traces) instead of discarding it.
 *
 * `--b-env NAME=VALUE` (A/B for performance work): a second waypoint process, B, runs with that
 * environment variable; every rep measures direct, A and B back to back (alternating which goes
 * first), and B's figures print with a `b_` prefix next to A's. On this shared machine the noise
 * between two bench invocations minutes apart is larger than most single optimizations; within
 * one interleaved run it mostly cancels. `--b-dir DIR` runs B from another checkout instead (say a
 * `git worktree` of the commit before a change, after `npm ci` and a build there): the same
 * interleaving, old code against new. `--b-args="--flag …"` gives B extra node/V8 flags (those
 * NODE_OPTIONS refuses).
 *
 * Reps interleave direct and mesh runs so a noisy shared machine hurts both alike; medians are
 * printed with every run's value. `--profile DIR` writes a `--cpu-prof` of the waypoint process.
 * `--floor` also measures relay-floor's `http1` relay (a bare Node HBONE relay with llhttp, 1 KiB
 * answers) in every rep, next to the waypoint: `floor_vcpu_per_1000rps` and the per-rep ratio
 * `waypoint_over_floor`, the figure that survives this machine's drift.
 * `--dist` runs the waypoint from the tsc build (`npx tsc -b packages/waypoint` first).
 */
import { fork } from "node:child_process";
import { writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeIdentity, socketAddress } from "@ambit/api";
import {
  connectHeaders,
  createHboneSecureContext,
  HbonePool,
  HboneServer,
  pipeSocketStream,
} from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import { KeepAliveConn } from "./loadgen/http1-conn.js";
import { load, measureRelay, startFloor } from "./relay-floor-relay.js";
import { median } from "./report/results.js";
import {
  BENCH_ENDPOINT,
  BENCH_SERVICE_PORT,
  BENCH_TARGET_PORT,
  BENCH_VIP,
  type WaypointBenchCommand,
  type WaypointBenchReply,
} from "./waypoint-dataplane-proxy.js";

type Usage = Extract<WaypointBenchReply, { t: "usage" }>;

const { values: o } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    rps: { type: "string", default: "1000" },
    conns: { type: "string", default: "16" },
    size: { type: "string", default: "1024" },
    warmup: { type: "string", default: "3" },
    dist: { type: "boolean", default: false },
    profile: { type: "string" },
    "b-env": { type: "string" },
    "b-dir": { type: "string" },
    "b-args": { type: "string" },
    floor: { type: "boolean", default: false },
    json: { type: "string" },
  },
});

const SLEEP = makeIdentity("default", "sleep");
const WAYPOINT = makeIdentity("default", "waypoint");
const WEB = makeIdentity("default", "web");

const listen = (srv: net.Server) =>
  new Promise<number>((r) => srv.listen(0, "127.0.0.1", () => r((srv.address() as net.AddressInfo).port)));

/** The app: `size` bytes per response, keep-alive. */
async function startApp(size: number): Promise<{ server: http.Server; port: number }> {
  const body = Buffer.alloc(size, 120);
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
    res.end(body);
  });
  return { server, port: await listen(server) };
}

interface Mesh {
  /** Port of the outbound stand-in (each TCP connection becomes one CONNECT to the waypoint). */
  readonly outbound: number;
  /** Port of the stand-ins with no waypoint: each TCP connection is one CONNECT to the app. */
  readonly tunnel: number;
  ask(c: WaypointBenchCommand): Promise<Usage | undefined>;
  stop(): Promise<void>;
}

async function startMesh(
  appPort: number,
  env: Record<string, string> = {},
  dir?: string,
  extraArgs: readonly string[] = [],
): Promise<Mesh> {
  const pki = await createTestPki();
  const pems = async (id: typeof SLEEP) => {
    const l = await pki.issue({ identity: id });
    return { certChain: l.chainPem, privateKey: l.keyPem, roots: pki.rootsPem };
  };
  const [sleepPems, waypointPems, webPems] = await Promise.all([pems(SLEEP), pems(WAYPOINT), pems(WEB)]);
  // Inbound stand-in: every CONNECT goes to the app.
  const webCtx = createHboneSecureContext(webPems);
  const inbound = new HboneServer({
    contextFor: () => ({ secureContext: webCtx, trustDomain: "cluster.local" }),
    onRequest: (req) => {
      if (req.authority !== `${BENCH_ENDPOINT}:${BENCH_TARGET_PORT}`) return req.reject(400);
      const s = net.connect({ host: "127.0.0.1", port: appPort, noDelay: true });
      s.once("error", () => req.reject(503));
      s.once("connect", () => void pipeSocketStream(s, req.accept()));
    },
  });
  const inboundListener = net.createServer((s) => inbound.handleConnection(s));
  const backendPort = await listen(inboundListener);
  // The waypoint, alone in its process.
  const execArgv = [
    ...(o.dist ? [] : ["--conditions=source"]),
    "--import",
    "tsx",
    "--expose-gc",
    ...(process.env.WP_ARGS?.split(" ") ?? []),
    ...extraArgs,
  ];
  if (o.profile) execArgv.push("--cpu-prof", `--cpu-prof-dir=${o.profile}`);
  const proxy = dir
    ? join(resolve(dir), "bench", "waypoint-dataplane-proxy.ts")
    : fileURLToPath(new URL("./waypoint-dataplane-proxy.ts", import.meta.url));
  const child = fork(proxy, [], {
    ...(dir ? { cwd: resolve(dir) } : {}),
    execArgv,
    stdio: ["ignore", process.env.WP_STDOUT ? "inherit" : "ignore", "inherit", "ipc"],
    env: { ...process.env, AMBIT_LOG: "warn", ...env },
  });
  const waiters: ((u: Usage) => void)[] = [];
  const waypointPort = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`waypoint exited (${code})`)));
    child.on("message", (m: WaypointBenchReply) => {
      if (m.t === "usage") waiters.shift()?.(m);
      else resolve(m.port);
    });
    child.send({ cmd: "start", pems: waypointPems, backendPort } satisfies WaypointBenchCommand);
  });
  // Outbound stand-ins: TCP → CONNECT to `port` (what ztunnel does): VIP:port to the waypoint,
  // and the endpoint straight to the inbound stand-in (the same two hops with no waypoint).
  const sleepCtx = createHboneSecureContext(sleepPems);
  const pool = new HbonePool();
  const standIn = (port: number, peer: typeof WAYPOINT, authority: string) =>
    net.createServer({ allowHalfOpen: true }, (sock) => {
      sock.setNoDelay(true);
      sock.on("error", () => sock.destroy());
      pool
        .connect({
          sourceIdentity: SLEEP,
          destinationIdentities: [peer],
          nextHop: socketAddress("127.0.0.1", port),
          sourceIp: undefined,
          secureContext: sleepCtx,
          headers: connectHeaders({ authority }),
        })
        .then(
          (stream) => void pipeSocketStream(sock, stream),
          () => sock.destroy(),
        );
    });
  const outboundListener = standIn(waypointPort, WAYPOINT, `${BENCH_VIP}:${BENCH_SERVICE_PORT}`);
  const tunnelListener = standIn(backendPort, WEB, `${BENCH_ENDPOINT}:${BENCH_TARGET_PORT}`);
  const outbound = await listen(outboundListener);
  const tunnel = await listen(tunnelListener);
  return {
    outbound,
    tunnel,
    ask: (c) => {
      child.send(c);
      return c.cmd === "usage" ? new Promise((r) => waiters.push(r)) : Promise.resolve(undefined);
    },
    stop: async () => {
      pool.close(true);
      const exited = new Promise<void>((r) => {
        child.removeAllListeners("exit");
        child.once("exit", () => r());
      });
      child.send({ cmd: "stop" } satisfies WaypointBenchCommand);
      await exited;
      outboundListener.close();
      tunnelListener.close();
      await inbound.close(200);
      inboundListener.close();
    },
  };
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Open loop at `rps` for `seconds` over up to `conns` keep-alive connections (one request in
 * flight each). Latency counts from the intended send time, so queueing behind busy connections
 * is charged (no coordinated omission).
 */
async function run(port: number, rps: number, seconds: number, conns: number) {
  const target = { ip: "127.0.0.1", port, path: "/1k" };
  const all = await Promise.all(Array.from({ length: conns }, () => KeepAliveConn.open(target)));
  // Warm-up: one request per connection (opens the tunnels), not measured.
  await Promise.all(all.map((c) => new Promise((r) => c.send(r))));
  const idle = [...all];
  const total = Math.round(rps * seconds);
  const lat = new Float64Array(total);
  const queue: number[] = [];
  let done = 0;
  let errors = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    resolveAll = r;
  });
  const dispatch = () => {
    while (queue.length > 0 && idle.length > 0) {
      const intended = queue.shift() as number;
      const c = idle.pop() as KeepAliveConn;
      c.send((err, status) => {
        if (err || status !== 200) errors++;
        lat[done++] = performance.now() - intended;
        if (!c.isClosed) idle.push(c);
        if (done === total) resolveAll();
        else dispatch();
      });
    }
  };
  const interval = 1000 / rps;
  const start = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (n < total && start + n * interval <= now) queue.push(start + n++ * interval);
      dispatch();
      if (n < total) setTimeout(tick, Math.max(0, start + n * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allDone, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  const wall = (performance.now() - start) / 1000;
  for (const c of all) c.close();
  const sorted = lat.slice(0, done).sort();
  return { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), done, errors, wall };
}

const cpuSec = (a: Usage, b: Usage) => (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1e6;

async function main(): Promise<void> {
  const load0 = loadavg()[0];
  const app = await startApp(Number(o.size));
  const mesh = await startMesh(app.port);
  const bEnv = o["b-env"];
  const eq = bEnv?.indexOf("=") ?? -1;
  if (bEnv !== undefined && eq <= 0) throw new Error("--b-env wants NAME=VALUE");
  const bDir = o["b-dir"];
  const bArgs = o["b-args"]?.split(" ").filter((x) => x !== "");
  if ([bEnv, bDir, bArgs].filter((x) => x !== undefined).length > 1)
    throw new Error("--b-env, --b-dir and --b-args: one B at a time");
  const meshB = bEnv
    ? await startMesh(app.port, { [bEnv.slice(0, eq)]: bEnv.slice(eq + 1) })
    : bDir !== undefined || bArgs !== undefined
      ? await startMesh(app.port, {}, bDir, bArgs)
      : undefined;
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    results[k] ??= [];
    results[k].push(v);
  };
  const [rps, secs, conns] = [Number(o.rps), Number(o.seconds), Number(o.conns)];
  // Warm-up through the waypoint (JIT, pools, tunnels), not measured: the first seconds of a
  // fresh process cost several times the steady state in background compilation.
  if (Number(o.warmup) > 0) {
    await run(mesh.outbound, rps, Number(o.warmup), conns);
    if (meshB) await run(meshB.outbound, rps, Number(o.warmup), conns);
  }
  /** One measured run through `m`; figures keyed with `prefix`. */
  const measure = async (
    m: Mesh,
    prefix: string,
    d: Awaited<ReturnType<typeof run>>,
    t: Awaited<ReturnType<typeof run>>,
  ) => {
    const u0 = await m.ask({ cmd: "usage" });
    const p0 = process.cpuUsage();
    const r = await run(m.outbound, rps, secs, conns);
    const p1 = process.cpuUsage(p0);
    const u1 = await m.ask({ cmd: "usage", gc: true });
    // The client, both ztunnel stand-ins and the app share this process: if it is near 1 vCPU,
    // the figures are the bench's limit, not the waypoint's.
    add(`${prefix}bench_side_vcpu`, (p1.user + p1.system) / 1e6 / r.wall);
    for (const p of ["p50", "p90", "p99"] as const) {
      if (prefix === "") add(`direct_${p}_ms`, d[p]);
      if (prefix === "") add(`tunnel_${p}_ms`, t[p]);
      add(`${prefix}waypoint_${p}_ms`, r[p]);
      add(`${prefix}added_${p}_ms`, r[p] - d[p]);
      add(`${prefix}added_over_tunnel_${p}_ms`, r[p] - t[p]);
    }
    add(`${prefix}errors`, d.errors + t.errors + r.errors);
    add(`${prefix}achieved_rps`, r.done / r.wall);
    if (!u0 || !u1) return undefined;
    const vcpu = cpuSec(u0, u1) / r.wall / (r.done / r.wall / 1000);
    add(`${prefix}vcpu_per_1000rps`, vcpu);
    add(`${prefix}waypoint_rss_MiB`, u1.mem.rss / 2 ** 20);
    add(`${prefix}waypoint_heap_MiB`, u1.mem.heapUsed / 2 ** 20);
    add(`${prefix}waypoint_loop_delay_p99_ms`, u1.loopDelay.p99);
    add(`${prefix}waypoint_loop_delay_max_ms`, u1.loopDelay.max);
    return vcpu;
  };
  const floor = o.floor ? await startFloor(["http1"] as const) : undefined;
  if (floor) await load(floor.relays.http1.port, rps, Number(o.warmup) || 1, conns);
  /** The floor relay's vCPU per 1000 rps over one run like the waypoint's. */
  const measureFloor = async (): Promise<number | undefined> => {
    if (!floor) return undefined;
    const v = (await measureRelay(floor.relays.http1, rps, secs, conns)).vcpuPer1000rps;
    add("floor_vcpu_per_1000rps", v);
    return v;
  };
  for (let rep = 0; rep < Number(o.reps); rep++) {
    const d = await run(app.port, rps, secs, conns);
    const t = await run(mesh.tunnel, rps, secs, conns);
    // Odd reps measure B and the floor first, so neither always runs after the other.
    const otherFirst = rep % 2 === 1;
    const f1 = otherFirst ? await measureFloor() : undefined;
    if (meshB && otherFirst) await measure(meshB, "b_", d, t);
    const w = await measure(mesh, "", d, t);
    if (meshB && !otherFirst) await measure(meshB, "b_", d, t);
    const f = otherFirst ? f1 : await measureFloor();
    if (w !== undefined && f !== undefined) add("waypoint_over_floor", w / f);
  }
  floor?.stop();
  const load1 = loadavg()[0];
  await mesh.stop();
  await meshB?.stop();
  app.server.close();
  const summary: Record<string, number> = {};
  for (const [k, v] of Object.entries(results)) summary[k] = Number(median(v).toFixed(4));
  for (const [k, v] of Object.entries(summary)) {
    process.stdout.write(
      `${k.padEnd(22)} ${String(v).padStart(10)}   [${(results[k] ?? []).map((x) => x.toFixed(3)).join(", ")}]\n`,
    );
  }
  process.stdout.write(`loadavg(1m) start ${load0?.toFixed(2)} end ${load1?.toFixed(2)}\n`);
  if (o.json) await writeFile(o.json, JSON.stringify({ rps, conns, summary, runs: results }, null, 2));
}

await main();
process.exit(0);
