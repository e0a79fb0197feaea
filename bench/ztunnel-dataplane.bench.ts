/**
 * ztunnel data-path micro-benchmark (issue 5, Performance): the real outbound → HBONE (mTLS + h2)
 * → inbound path of two proxy sets on loopback, in a child process of their own so its CPU and
 * memory are the proxies' cost alone. Fast (≈ 1 min for 3 reps) and repeatable, for profiling and
 * before/after comparisons; the two-node netns figures come from `npm run bench` (ambit-l4).
 *
 *   node --conditions=source --import tsx bench/ztunnel-dataplane.bench.ts [--reps 3]
 *        [--only tput,lat,conn,mem] [--mib 512] [--seconds 5] [--rps 1000] [--conns 4]
 *        [--idle 1000] [--same-node] [--dist] [--profile DIR] [--snapshot idle.heapsnapshot] [--json out.json]
 *
 * Phases: `tput` one stream one way (MiB/s), direct and through the mesh; `lat` request/response
 * of `--size` bytes at a fixed total rate over `--conns` connections (p50/p90/p99 direct and
 * through the mesh, and the proxies' CPU per 1000 rps); `conn` new proxied connections per second
 * (connect, 1-byte echo, close; 16 in flight) over the pooled HBONE connection (the HBONE
 * handshakes counted meanwhile should be 0: pool hits only); `mem` proxy RSS
 * and heap per idle proxied connection (after GC). CPU and memory cover BOTH proxies (node A + B).
 *
 * `--dist` runs the proxies from the tsc build (`packages/<pkg>/dist`, build first with
 * `npx tsc -b packages/ztunnel packages/testing`), as `ambit-l4` and production do. From sources, tsx
 * adds a `__name` property to every closure (≈ 250 B each), which inflates the per-connection
 * memory figures by about a third and the CPU figures a little.
 */
import { fork } from "node:child_process";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { median } from "./report/results.js";
import { CLIENT_IP, type ProxyCommand, type ProxyReply, SERVER_IP } from "./ztunnel-dataplane-proxies.js";

type Usage = Extract<ProxyReply, { t: "usage" }>;
interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
}

const { values: o } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    only: { type: "string", default: "tput,lat,conn,mem" },
    mib: { type: "string", default: "512" },
    seconds: { type: "string", default: "5" },
    rps: { type: "string", default: "1000" },
    conns: { type: "string", default: "4" },
    size: { type: "string", default: "1024" },
    idle: { type: "string", default: "1000" },
    "conn-inflight": { type: "string", default: "16" },
    "same-node": { type: "boolean", default: false },
    dist: { type: "boolean", default: false },
    profile: { type: "string" },
    snapshot: { type: "string" },
    json: { type: "string" },
  },
});
const phases = new Set(String(o.only).split(","));

function connect(ep: Endpoint): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({
      host: ep.host,
      port: ep.port,
      noDelay: true,
      allowHalfOpen: true,
      ...(ep.localAddress ? { localAddress: ep.localAddress } : {}),
    });
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

/** Upstream apps on the server pod's IP: an echo server and a byte sink that answers its count. */
async function startApps(): Promise<{ echo: net.Server; sink: net.Server }> {
  const listen = (h: (s: net.Socket) => void) =>
    new Promise<net.Server>((r) => {
      const srv = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
        s.on("error", () => s.destroy());
        h(s);
      });
      srv.listen(0, SERVER_IP, () => r(srv));
    });
  const echo = await listen((s) => {
    s.pipe(s);
  });
  const sink = await listen((s) => {
    let n = 0;
    s.on("data", (d: Buffer) => {
      n += d.length;
    });
    s.on("end", () => s.end(String(n)));
  });
  return { echo, sink };
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

async function throughput(ep: Endpoint, bytes: number): Promise<number> {
  const s = await connect(ep);
  const chunk = Buffer.alloc(256 * 1024, 7);
  const t0 = performance.now();
  const answer = new Promise<string>((resolve, reject) => {
    let a = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      a += d;
    });
    s.on("end", () => resolve(a));
    s.on("error", reject);
  });
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once("drain", r));
  }
  s.end();
  const got = Number(await answer);
  const secs = (performance.now() - t0) / 1000;
  s.destroy();
  if (got !== bytes) throw new Error(`sink received ${got} of ${bytes} bytes`);
  return bytes / 1024 / 1024 / secs;
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Fixed-rate request/response (size bytes each way), round-robin over `conns` connections. */
async function latency(ep: Endpoint, rps: number, conns: number, seconds: number, size: number) {
  const socks = await Promise.all(Array.from({ length: conns }, () => connect(ep)));
  const payload = Buffer.alloc(size, 1);
  const total = Math.round(rps * seconds);
  const lat = new Float64Array(total);
  // Warm-up: one 1-byte round trip per connection (opens the tunnels; not measured).
  await Promise.all(
    socks.map(
      (s) =>
        new Promise((r) => {
          s.once("data", r);
          s.write("w");
        }),
    ),
  );
  let done = 0;
  const sentAt = socks.map(() => [] as number[]);
  const allDone = new Promise<void>((resolve) => {
    socks.forEach((s, i) => {
      const sent = sentAt[i] as number[];
      let head = 0;
      let got = 0;
      s.on("data", (d: Buffer) => {
        got += d.length;
        const now = performance.now();
        while (got >= size && head < sent.length) {
          got -= size;
          lat[done++] = now - (sent[head++] ?? now);
        }
        if (done === total) resolve();
      });
    });
  });
  const interval = 1000 / rps;
  const start = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (n < total && start + n * interval <= now) {
        const i = n % conns;
        sentAt[i]?.push(performance.now());
        socks[i]?.write(payload);
        n++;
      }
      if (n < total) setTimeout(tick, Math.max(0, start + n * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  const wall = (performance.now() - start) / 1000;
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 5_000))]);
  for (const s of socks) s.destroy();
  const sorted = lat.slice(0, done).sort();
  return {
    p50: pct(sorted, 50),
    p90: pct(sorted, 90),
    p99: pct(sorted, 99),
    p999: pct(sorted, 99.9),
    done,
    wall,
  };
}

/** Connect, 1-byte echo, close, with `inFlight` at a time, for `seconds`: completed per second. */
async function newConnections(ep: Endpoint, seconds: number, inFlight: number) {
  const end = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const s = net.connect({
        host: ep.host,
        port: ep.port,
        noDelay: true,
        ...(ep.localAddress ? { localAddress: ep.localAddress } : {}),
      });
      s.once("connect", () => s.write("x"));
      s.once("data", () => {
        ok++;
        s.end();
      });
      s.on("error", () => failed++);
      s.once("close", () => resolve());
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  return { perSec: ok / ((performance.now() - t0) / 1000), failed };
}

function startProxies(): Promise<{
  outbound: number;
  ask: (c: ProxyCommand) => Promise<Usage | undefined>;
  stop: () => Promise<void>;
}> {
  const execArgv = [...(o.dist ? [] : ["--conditions=source"]), "--import", "tsx", "--expose-gc"];
  if (o.profile) execArgv.push("--cpu-prof", `--cpu-prof-dir=${o.profile}`);
  const child = fork(
    new URL("./ztunnel-dataplane-proxies.ts", import.meta.url),
    o["same-node"] ? ["--same-node"] : [],
    {
      execArgv,
      stdio: ["ignore", "ignore", "ignore", "ipc"],
    },
  );
  const waiters: ((u: Usage) => void)[] = [];
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`proxies exited (${code})`)));
    child.on("message", (m: ProxyReply) => {
      if (m.t === "usage") waiters.shift()?.(m);
      else
        resolve({
          outbound: m.outbound,
          ask: (c) => {
            child.send(c);
            return c.cmd === "usage" ? new Promise((r) => waiters.push(r)) : Promise.resolve(undefined);
          },
          stop: () =>
            new Promise((r) => {
              child.removeAllListeners("exit");
              child.once("exit", () => r());
              child.send({ cmd: "stop" });
            }),
        });
    });
  });
}

const cpuSec = (a: Usage, b: Usage) => (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1e6;

async function main(): Promise<void> {
  const load0 = loadavg()[0];
  const apps = await startApps();
  const px = await startProxies();
  const mesh: Endpoint = { host: CLIENT_IP, port: px.outbound, localAddress: CLIENT_IP };
  const direct = (srv: net.Server): Endpoint => ({
    host: SERVER_IP,
    port: portOf(srv),
    localAddress: CLIENT_IP,
  });
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    results[k] ??= [];
    results[k].push(v);
  };
  const reps = Number(o.reps);
  const secs = Number(o.seconds);
  const rps = Number(o.rps);
  for (let rep = 0; rep < reps; rep++) {
    if (phases.has("tput")) {
      const bytes = Number(o.mib) * 1024 * 1024;
      add("tput_direct_MiBps", await throughput(direct(apps.sink), bytes));
      await px.ask({ cmd: "target", port: portOf(apps.sink) });
      const u0 = await px.ask({ cmd: "usage" });
      add("tput_mesh_MiBps", await throughput(mesh, bytes));
      const u1 = await px.ask({ cmd: "usage" });
      if (u0 && u1) add("tput_mesh_cpu_s_per_GiB", cpuSec(u0, u1) / (bytes / 2 ** 30));
    }
    if (phases.has("lat")) {
      const size = Number(o.size);
      const conns = Number(o.conns);
      const d = await latency(direct(apps.echo), rps, conns, secs, size);
      await px.ask({ cmd: "target", port: portOf(apps.echo) });
      const u0 = await px.ask({ cmd: "usage" });
      const m = await latency(mesh, rps, conns, secs, size);
      const u1 = await px.ask({ cmd: "usage" });
      for (const p of ["p50", "p90", "p99", "p999"] as const) {
        add(`lat_direct_${p}_ms`, d[p]);
        add(`lat_mesh_${p}_ms`, m[p]);
        add(`lat_added_${p}_ms`, m[p] - d[p]);
      }
      if (u0 && u1) add("vcpu_per_1000rps", cpuSec(u0, u1) / m.wall / (m.done / m.wall / 1000));
    }
    if (phases.has("conn")) {
      await px.ask({ cmd: "target", port: portOf(apps.echo) });
      const u0 = await px.ask({ cmd: "usage" });
      const r = await newConnections(mesh, secs, Number(o["conn-inflight"]));
      const u1 = await px.ask({ cmd: "usage" });
      add("newconn_mesh_per_s", r.perSec);
      add("newconn_failed", r.failed);
      if (u0 && u1) {
        add("newconn_cpu_ms_per_conn", (cpuSec(u0, u1) * 1000) / (r.perSec * secs));
        add("newconn_hbone_handshakes", u1.handshakes - u0.handshakes);
      }
    }
    if (phases.has("mem")) {
      await px.ask({ cmd: "target", port: portOf(apps.echo) });
      await new Promise((r) => setTimeout(r, 500));
      const n = Number(o.idle);
      const u0 = await px.ask({ cmd: "usage", gc: true });
      const socks: net.Socket[] = [];
      for (let i = 0; i < n; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, n - i) }, async () => {
            const s = await connect(mesh);
            await new Promise((r) => {
              s.once("data", r);
              s.write("x");
            });
            return s;
          }),
        );
        socks.push(...batch);
      }
      await new Promise((r) => setTimeout(r, 500));
      const u1 = await px.ask({ cmd: "usage", gc: true, ...(o.snapshot ? { snapshot: o.snapshot } : {}) });
      if (u0 && u1) {
        add("idle_rss_KB_per_conn", (u1.mem.rss - u0.mem.rss) / 1024 / n);
        add("idle_heap_KB_per_conn", (u1.mem.heapUsed - u0.mem.heapUsed) / 1024 / n);
        add(
          "idle_ext_KB_per_conn",
          (u1.mem.external + u1.mem.arrayBuffers - u0.mem.external - u0.mem.arrayBuffers) / 1024 / n,
        );
        add("idle_tracked", u1.tracked);
      }
      for (const s of socks) s.destroy();
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const load1 = loadavg()[0];
  await px.stop();
  apps.echo.close();
  apps.sink.close();
  const summary: Record<string, number> = {};
  for (const [k, v] of Object.entries(results)) summary[k] = Number(median(v).toFixed(4));
  const out = { sameNode: o["same-node"], dist: o.dist, reps, load1: [load0, load1], summary, runs: results };
  for (const [k, v] of Object.entries(summary)) {
    process.stdout.write(
      `${k.padEnd(28)} ${String(v).padStart(10)}   [${(results[k] ?? []).map((x) => x.toFixed(3)).join(", ")}]\n`,
    );
  }
  process.stdout.write(`loadavg(1m) start ${load0?.toFixed(2)} end ${load1?.toFixed(2)}\n`);
  if (o.json) await writeFile(o.json, JSON.stringify(out, null, 2));
}

await main();
// Sockets the load generator opened may still be in TIME_WAIT teardown; do not wait for them.
process.exit(0);
