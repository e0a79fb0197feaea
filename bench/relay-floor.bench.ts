/**
 * The Node.js floor under the waypoint's CPU goal (issue #8: ≤ 0.25 vCPU per 1000 rps): what the
 * least an HTTP-aware HBONE relay written on Node's own http2 + llhttp costs on this machine, so
 * the waypoint's figure can be read against what the runtime itself needs.
 *
 *   npm run bench -- relay-floor [--reps 3] [--seconds 10] [--rps 1000] [--conns 16] [--profile DIR]
 *
 * `--profile DIR` writes a `--cpu-prof` of each relay (compare with the waypoint bench's).
 *
 * Same shape as `waypoint-dataplane.bench.ts` minus everything a mesh proxy adds: 16 HTTP/1.1
 * keep-alive streams inside h2 CONNECT over TLS → a relay in its own child process → h2 CONNECT
 * streams over TLS (one per request in flight, reused) → a backend answering 1 KiB. Two relays,
 * measured alternately:
 *
 * - `bytes`: copies DATA from each inbound stream to its own upstream stream and back (no HTTP).
 * - `http1`: parses each request and response with llhttp (Node's `_http_common.HTTPParser`, as
 *   the waypoint does), rebuilds both heads, picks a pooled upstream stream per request.
 *
 * No mTLS client certificates, routing, policy, metrics or access log: a floor, not a design.
 */
import { fork } from "node:child_process";
import http2 from "node:http2";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { makeIdentity } from "@ambit/api";
import { createTestPki } from "@ambit/testing";
import { median } from "./report/results.js";

// Node's parser driven directly, not the waypoint's `Http1Parser` wrapper: the floor measures the
// runtime, so it must not move when the waypoint's own code does.
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): unknown;
  [slot: number]: unknown;
}
interface ParserCtor {
  new (): Parser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}
const { HTTPParser, methods } = createRequire(import.meta.url)("_http_common") as {
  HTTPParser: ParserCtor;
  methods: string[];
};

type Mode = "bytes" | "http1";
type Msg = { t: "port"; port: number } | { t: "cpu"; cpu: NodeJS.CpuUsage };

const BODY = Buffer.alloc(1024, 120);
const RESP = Buffer.concat([
  Buffer.from(
    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1024\r\ndate: Thu, 26 Nov 2026 10:00:00 GMT\r\n\r\n",
  ),
  BODY,
]);
const REQ = Buffer.from(
  "GET /1k HTTP/1.1\r\nhost: web.default.svc.cluster.local\r\nuser-agent: ambit-bench\r\naccept: */*\r\n\r\n",
);

/** llhttp with the head handed over as (raw headers, method, url, status). */
function parser(
  type: number,
  onHead: (raw: string[], method: string, url: string, status: number) => void,
  onBody: (b: Buffer) => void,
  onDone: () => void,
): Parser {
  const p = new HTTPParser();
  p.initialize(type, {}, 16384, 0);
  let parts: string[] = [];
  p[HTTPParser.kOnHeaders] = (h: string[]) => {
    parts.push(...h);
  };
  p[HTTPParser.kOnHeadersComplete] = (
    _ma: number,
    _mi: number,
    h: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    status: number | undefined,
  ) => {
    onHead(h ?? parts, method === undefined ? "" : (methods[method] ?? "GET"), url ?? "", status ?? 0);
    parts = [];
    return 0;
  };
  p[HTTPParser.kOnBody] = onBody;
  p[HTTPParser.kOnMessageComplete] = onDone;
  return p;
}

const head = (start: string, raw: string[]) => {
  let s = `${start}\r\n`;
  for (let i = 0; i + 1 < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return Buffer.from(`${s}\r\n`, "latin1");
};

/** The child: one relay of `mode`, upstream to the backend on `backendPort`. */
function relay(mode: Mode, backendPort: number, tls: { key: string; cert: string }): void {
  const up = http2.connect(`https://127.0.0.1:${backendPort}`, { rejectUnauthorized: false });
  const open = () => up.request({ ":method": "CONNECT", ":authority": "10.0.0.1:8080" });
  interface Tunnel {
    readonly st: http2.ClientHttp2Stream;
    cb: ((status: number, raw: string[], body: Buffer) => void) | undefined;
    chunks: Buffer[];
    status: number;
    raw: string[];
  }
  const idle: Tunnel[] = [];
  const openTunnel = (): Tunnel => {
    const t: Tunnel = { st: open(), cb: undefined, chunks: [], status: 0, raw: [] };
    const p = parser(
      HTTPParser.RESPONSE,
      (raw, _m, _u, status) => {
        t.status = status;
        t.raw = raw;
      },
      (b) => t.chunks.push(b),
      () => {
        const cb = t.cb;
        t.cb = undefined;
        const body = t.chunks.length === 1 ? (t.chunks[0] as Buffer) : Buffer.concat(t.chunks);
        t.chunks = [];
        idle.push(t);
        cb?.(t.status, t.raw, body);
      },
    );
    t.st.on("data", (d: Buffer) => p.execute(d));
    return t;
  };
  const server = http2.createSecureServer(tls);
  server.on("stream", (down) => {
    down.respond({ ":status": 200 });
    if (mode === "bytes") {
      const u = open();
      down.on("data", (d: Buffer) => u.write(d));
      u.on("data", (d: Buffer) => down.write(d));
      return;
    }
    const p = parser(
      HTTPParser.REQUEST,
      (raw, method, url) => {
        const t = idle.pop() ?? openTunnel();
        t.cb = (status, rh, body) => down.write(Buffer.concat([head(`HTTP/1.1 ${status} OK`, rh), body]));
        t.st.write(head(`${method} ${url} HTTP/1.1`, raw));
      },
      () => {},
      () => {},
    );
    down.on("data", (d: Buffer) => p.execute(d));
  });
  const send = (m: Msg) => process.send?.(m);
  server.listen(0, "127.0.0.1", () => {
    const a = server.address();
    send({ t: "port", port: typeof a === "object" && a ? a.port : 0 });
  });
  // The bench went away (killed, crashed): do not outlive it.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: string) => {
    if (m === "cpu") send({ t: "cpu", cpu: process.cpuUsage() });
    else process.exit(0);
  });
}

/** Start a relay child; resolves with its port and a CPU reader. */
function startRelay(mode: Mode, backendPort: number, tls: { key: string; cert: string }, profile?: string) {
  const child = fork(new URL(import.meta.url), ["--relay", mode, String(backendPort)], {
    execArgv: [
      "--conditions=source",
      "--import",
      "tsx",
      ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []),
    ],
    env: { ...process.env, RELAY_TLS: JSON.stringify(tls) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const waiters: ((c: NodeJS.CpuUsage) => void)[] = [];
  return new Promise<{ port: number; cpu(): Promise<NodeJS.CpuUsage>; stop(): void }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`relay exited (${code})`)));
    child.on("message", (m: Msg) => {
      if (m.t === "cpu") waiters.shift()?.(m.cpu);
      else
        resolve({
          port: m.port,
          cpu: () =>
            new Promise((r) => {
              waiters.push(r);
              child.send("cpu");
            }),
          stop: () => {
            child.removeAllListeners("exit");
            child.send("stop");
          },
        });
    });
  });
}

/** Open loop at `rps` over `conns` streams (latency from the actual send). */
async function load(port: number, rps: number, seconds: number, conns: number) {
  const sess = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  const lat: number[] = [];
  const streams = Array.from({ length: conns }, () => {
    const st = sess.request({ ":method": "CONNECT", ":authority": "10.96.0.20:80" });
    const q: number[] = [];
    let got = 0;
    st.on("data", (d: Buffer) => {
      got += d.length;
      while (got >= RESP.length) {
        got -= RESP.length;
        const t = q.shift();
        if (t !== undefined) lat.push(performance.now() - t);
      }
    });
    return { st, q };
  });
  const total = Math.round(rps * seconds);
  const start = performance.now();
  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rps) / 1000));
      for (; i < due; i++) {
        const s = streams[i % conns] as (typeof streams)[number];
        // From the actual send: this loop's 1 ms timer would dominate an intended-time latency,
        // and the floor is about CPU (latency is reported only as a sanity check).
        s.q.push(performance.now());
        s.st.write(REQ);
      }
      if (i >= total) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const deadline = performance.now() + 5000;
  while (lat.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - start) / 1000;
  sess.destroy();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? Number.NaN;
  return { done: lat.length, total, wall, p50: pct(50), p99: pct(99) };
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      reps: { type: "string", default: "3" },
      seconds: { type: "string", default: "10" },
      rps: { type: "string", default: "1000" },
      conns: { type: "string", default: "16" },
      profile: { type: "string" },
    },
  });
  const pki = await createTestPki();
  const leaf = await pki.issue({ identity: makeIdentity("default", "relay") });
  const tls = { key: leaf.keyPem, cert: leaf.chainPem };
  const backend = http2.createSecureServer(tls);
  backend.on("stream", (st) => {
    st.respond({ ":status": 200 });
    let acc = "";
    st.on("data", (d: Buffer) => {
      acc += d.toString("latin1");
      for (let at = acc.indexOf("\r\n\r\n"); at >= 0; at = acc.indexOf("\r\n\r\n")) {
        acc = acc.slice(at + 4);
        st.write(RESP);
      }
    });
  });
  const backendPort = await new Promise<number>((r) =>
    backend.listen(0, "127.0.0.1", () => r((backend.address() as { port: number }).port)),
  );
  const [rps, secs, conns] = [Number(o.rps), Number(o.seconds), Number(o.conns)];
  const relays = {
    bytes: await startRelay("bytes", backendPort, tls, o.profile),
    http1: await startRelay("http1", backendPort, tls, o.profile),
  };
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    results[k] ??= [];
    results[k].push(v);
  };
  for (const r of Object.values(relays)) await load(r.port, rps, 2, conns); // warm-up (JIT)
  for (let rep = 0; rep < Number(o.reps); rep++) {
    const order: Mode[] = rep % 2 === 0 ? ["bytes", "http1"] : ["http1", "bytes"];
    for (const mode of order) {
      const r = relays[mode];
      const c0 = await r.cpu();
      const m = await load(r.port, rps, secs, conns);
      const c1 = await r.cpu();
      const cpu = (c1.user + c1.system - c0.user - c0.system) / 1e6;
      add(`${mode}_vcpu_per_1000rps`, cpu / m.wall / (m.done / m.wall / 1000));
      add(`${mode}_p50_ms`, m.p50);
      add(`${mode}_p99_ms`, m.p99);
      add(`${mode}_lost`, m.total - m.done);
    }
  }
  for (const r of Object.values(relays)) r.stop();
  backend.close();
  for (const [k, v] of Object.entries(results)) {
    const med = median(v);
    process.stdout.write(
      `${k.padEnd(26)} ${med.toFixed(4).padStart(10)}   [${v.map((x) => x.toFixed(3)).join(", ")}]\n`,
    );
  }
}

const at = process.argv.indexOf("--relay");
if (at >= 0) {
  relay(
    process.argv[at + 1] as Mode,
    Number(process.argv[at + 2]),
    JSON.parse(process.env.RELAY_TLS ?? "{}"),
  );
} else {
  await main();
  process.exit(0);
}
