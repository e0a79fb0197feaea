/**
 * The relay-floor's parts, shared by `relay-floor.bench.ts` and the waypoint bench's `--floor`
 * arm: a minimal Node HBONE relay in a child process (`bytes` or `http1`, see relay-floor's doc),
 * its backend, and its open-loop load over h2 CONNECT streams.
 */
import { fork } from "node:child_process";
import http2 from "node:http2";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { makeIdentity } from "@ambit/api";
import { createTestPki } from "@ambit/testing";
import { jsh2Connect, jsh2Server } from "./relay-floor-jsh2.js";

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

export type Mode = "bytes" | "http1" | "jsh2";
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

/** A CONNECT stream as the relays use it, whichever HTTP/2 implementation carries it (`jsh2`'s `Stream` is one as is). */
interface Pipe {
  write(b: Buffer): void;
  onData(f: (b: Buffer) => void): void;
}

/** How a relay reaches its backend and serves its clients: node:http2, or `jsh2`'s JS framing. */
interface Transport {
  open(): Pipe;
  serve(onStream: (down: Pipe) => void): {
    listen(port: number, host: string, cb: () => void): void;
    address(): unknown;
  };
}

function nodeH2(backendPort: number, tls: { key: string; cert: string }): Transport {
  const up = http2.connect(`https://127.0.0.1:${backendPort}`, { rejectUnauthorized: false });
  const pipe = (st: http2.Http2Stream): Pipe => ({
    write: (b) => st.write(b),
    onData: (f) => st.on("data", f),
  });
  return {
    open: () => pipe(up.request({ ":method": "CONNECT", ":authority": "10.0.0.1:8080" })),
    serve: (onStream) =>
      http2.createSecureServer(tls).on("stream", (down) => {
        down.respond({ ":status": 200 });
        onStream(pipe(down));
      }),
  };
}

function jsH2(backendPort: number, tls: { key: string; cert: string }): Transport {
  const up = jsh2Connect(backendPort);
  return { open: () => up.connect("10.0.0.1:8080"), serve: (onStream) => jsh2Server(tls, onStream) };
}

/** The child: one relay of `mode`, upstream to the backend on `backendPort`. */
function relay(mode: Mode, backendPort: number, tls: { key: string; cert: string }): void {
  const t = mode === "jsh2" ? jsH2(backendPort, tls) : nodeH2(backendPort, tls);
  const server = t.serve(mode === "bytes" ? bytesRelay(t) : http1Relay(t));
  const send = (m: Msg) => process.send?.(m);
  server.listen(0, "127.0.0.1", () => {
    const a = server.address();
    send({ t: "port", port: typeof a === "object" && a ? (a as { port: number }).port : 0 });
  });
  // The bench went away (killed, crashed): do not outlive it.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: string) => {
    if (m === "cpu") send({ t: "cpu", cpu: process.cpuUsage() });
    else process.exit(0);
  });
}

/** `bytes`: each client stream gets its own upstream stream; DATA is copied both ways. */
function bytesRelay(t: Transport) {
  return (down: Pipe) => {
    const u = t.open();
    down.onData((d) => u.write(d));
    u.onData((d) => down.write(d));
  };
}

/** `http1`/`jsh2`: requests and responses parsed with llhttp, heads rebuilt, upstream streams pooled. */
function http1Relay(t: Transport) {
  interface Tunnel {
    readonly up: Pipe;
    cb: ((status: number, raw: string[], body: Buffer) => void) | undefined;
    chunks: Buffer[];
    status: number;
    raw: string[];
  }
  const idle: Tunnel[] = [];
  const openTunnel = (): Tunnel => {
    const tun: Tunnel = { up: t.open(), cb: undefined, chunks: [], status: 0, raw: [] };
    const p = parser(
      HTTPParser.RESPONSE,
      (raw, _m, _u, status) => {
        tun.status = status;
        tun.raw = raw;
      },
      (b) => tun.chunks.push(b),
      () => {
        const cb = tun.cb;
        tun.cb = undefined;
        const body = tun.chunks.length === 1 ? (tun.chunks[0] as Buffer) : Buffer.concat(tun.chunks);
        tun.chunks = [];
        idle.push(tun);
        cb?.(tun.status, tun.raw, body);
      },
    );
    tun.up.onData((d) => p.execute(d));
    return tun;
  };
  return (down: Pipe) => {
    const p = parser(
      HTTPParser.REQUEST,
      (raw, method, url) => {
        const tun = idle.pop() ?? openTunnel();
        tun.cb = (status, rh, body) => down.write(Buffer.concat([head(`HTTP/1.1 ${status} OK`, rh), body]));
        tun.up.write(head(`${method} ${url} HTTP/1.1`, raw));
      },
      () => {},
      () => {},
    );
    down.onData((d) => p.execute(d));
  };
}

/** The floor's backend: h2 over TLS, each CONNECT stream answers every request head with 1 KiB. */
function startFloorBackend(tls: { key: string; cert: string }): Promise<{ port: number; close(): void }> {
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
  return new Promise((r) =>
    backend.listen(0, "127.0.0.1", () =>
      r({ port: (backend.address() as { port: number }).port, close: () => backend.close() }),
    ),
  );
}

/** A relay child: its port and a CPU reader. */
export type Relay = Awaited<ReturnType<typeof startRelay>>;

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
export async function load(port: number, rps: number, seconds: number, conns: number) {
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

/**
 * The floor: a backend and one relay child per mode, with a throwaway certificate (the relays
 * check no client certificates). `stop` ends the children and the backend.
 */
export async function startFloor<M extends Mode>(
  modes: readonly M[],
  profile?: string,
): Promise<{ relays: Record<M, Relay>; stop(): void }> {
  const pki = await createTestPki();
  const leaf = await pki.issue({ identity: makeIdentity("default", "relay") });
  const tls = { key: leaf.keyPem, cert: leaf.chainPem };
  const backend = await startFloorBackend(tls);
  const relays = {} as Record<M, Relay>;
  for (const m of modes) relays[m] = await startRelay(m, backend.port, tls, profile);
  return {
    relays,
    stop: () => {
      for (const m of modes) relays[m].stop();
      backend.close();
    },
  };
}

/** One measured run through `relay`: its vCPU per 1000 requests answered, latency, requests lost. */
export async function measureRelay(relay: Relay, rps: number, seconds: number, conns: number) {
  const c0 = await relay.cpu();
  const m = await load(relay.port, rps, seconds, conns);
  const c1 = await relay.cpu();
  const cpuS = (c1.user + c1.system - c0.user - c0.system) / 1e6;
  return { vcpuPer1000rps: (cpuS * 1000) / m.done, p50: m.p50, p99: m.p99, lost: m.total - m.done };
}

const at = process.argv.indexOf("--relay");
if (at >= 0) {
  relay(
    process.argv[at + 1] as Mode,
    Number(process.argv[at + 2]),
    JSON.parse(process.env.RELAY_TLS ?? "{}"),
  );
}
