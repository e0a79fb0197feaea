/**
 * Traffic from inside pods: each helper runs a short Node script in the pod's netns (`ip netns
 * exec`), so the pod's own capture rules and routes apply exactly as for the pod's processes.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { waitFor } from "./wait.js";

/** Port of the HTTP server every e2e server pod runs (`GET /` answers `from=<peer ip> pod=<name>`). */
export const HTTP_PORT = 8080;
/** Port of the TCP echo server every e2e server pod runs. */
export const ECHO_PORT = 9000;

/** The server pods' program: HTTP on 8080 reporting the peer IP it sees, TCP echo on 9000. */
export const SERVER_APP = `
const peer = (s) => String(s.remoteAddress).replace("::ffff:", "");
require("node:http").createServer((q, r) => r.end("from=" + peer(q.socket) + " pod=" + process.env.POD_NAME)).listen(${HTTP_PORT});
require("node:net").createServer({ allowHalfOpen: true }, (s) => { s.on("error", () => {}); s.pipe(s); }).listen(${ECHO_PORT});`;

export type HttpResult = { readonly status: number; readonly body: string } | { readonly error: string };

const GET = `
const [url, t] = process.argv.slice(1);
const out = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
setTimeout(() => out({ error: "timeout" }), Number(t)).unref();
require("node:http").get(url, { agent: false }, (r) => {
  let body = ""; r.setEncoding("utf8"); r.on("data", (c) => body += c);
  r.on("end", () => out({ status: r.statusCode, body }));
}).on("error", (e) => out({ error: e.code || e.message }));`;

const ECHO = `
const [host, port, payload, t, chunk] = process.argv.slice(1);
const out = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
setTimeout(() => out({ error: "timeout", echoed: got.length }), Number(t)).unref();
let got = "";
const size = Number(chunk) || payload.length;
const send = (o) => { if (o >= payload.length) return; s.write(payload.slice(o, o + size)); setTimeout(() => send(o + size), 10); };
const s = require("node:net").connect(Number(port), host, () => send(0));
s.setEncoding("utf8");
s.on("data", (c) => { got += c; if (got.length >= payload.length) { s.destroy(); out({ echoed: got.length, same: got === payload }); } });
s.on("error", (e) => out({ error: e.code || e.message, echoed: got.length }));
s.on("close", () => out({ error: "closed", echoed: got.length }));`;

function nodeIn(netns: string, script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", netns, process.execPath, "-e", script, ...args],
      { timeout: timeoutMs + 5000, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve(stdout.trim() || JSON.stringify({ error: err?.message ?? "no output" })),
    );
  });
}

/** GET on a fresh connection from inside `netns`. */
export async function httpGet(netns: string, url: string, timeoutMs = 5000): Promise<HttpResult> {
  return JSON.parse(await nodeIn(netns, GET, [url, String(timeoutMs)], timeoutMs)) as HttpResult;
}

export type EchoResult =
  | { readonly echoed: number; readonly same: boolean }
  | { readonly error: string; readonly echoed: number };

/**
 * Sends `payload` to a TCP echo server and reads it back (one connection). With `chunk`, writes
 * that many characters every 10 ms instead of all at once (a paced transfer).
 */
export async function tcpEcho(
  netns: string,
  host: string,
  port: number,
  payload: string,
  opts: { readonly timeoutMs?: number; readonly chunk?: number } = {},
): Promise<EchoResult> {
  const t = opts.timeoutMs ?? 8000;
  const args = [host, String(port), payload, String(t), String(opts.chunk ?? 0)];
  return JSON.parse(await nodeIn(netns, ECHO, args, t)) as EchoResult;
}

const SESSION = `
const [host, port] = process.argv.slice(1);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
let echoed = 0, said = 0;
const s = require("node:net").connect(Number(port), host, () => {
  say({ ev: "open", local: s.localPort });
  setInterval(() => s.write("ping\\n"), 100).unref();
});
s.on("data", (c) => { echoed += c.length; if (Date.now() - said > 250) { said = Date.now(); say({ ev: "echo", echoed }); } });
s.on("error", (e) => say({ ev: "error", code: e.code || e.message }));
s.on("close", () => { say({ ev: "closed", echoed }); process.exit(0); });`;

export interface SessionEvent {
  readonly ev: "open" | "echo" | "error" | "closed";
  readonly echoed?: number;
  readonly code?: string;
  readonly local?: number;
}

/** A long-lived TCP connection to an echo server that pings every 100 ms until closed. */
export interface EchoSession {
  readonly events: SessionEvent[];
  /** Bytes echoed back so far (the connection is alive while this grows). */
  echoed(): number;
  waitEvent(ev: SessionEvent["ev"], ms: number): Promise<SessionEvent>;
  stop(): void;
}

export function openEchoSession(netns: string, host: string, port = ECHO_PORT): EchoSession {
  const child: ChildProcess = spawn(
    "ip",
    ["netns", "exec", netns, process.execPath, "-e", SESSION, host, String(port)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const events: SessionEvent[] = [];
  let buf = "";
  let echoed = 0;
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const e = JSON.parse(buf.slice(0, i)) as SessionEvent;
      buf = buf.slice(i + 1);
      if (e.echoed !== undefined) echoed = e.echoed;
      events.push(e);
    }
  });
  return {
    events,
    echoed: () => echoed,
    waitEvent: (ev, ms) =>
      waitFor(
        `session event ${ev}`,
        async () => events.find((e) => e.ev === ev),
        ms,
        () => JSON.stringify(events),
      ),
    stop: () => {
      if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
    },
  };
}

const LOOP = `
const [url, interval, duration, t] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const end = Date.now() + duration;
const sum = { ok: 0, failed: 0, statuses: {}, failures: [] };
const once = () => new Promise((res) => {
  const at = new Date().toISOString();
  const fail = (e) => { sum.failed++; if (sum.failures.length < 20) sum.failures.push({ at, e }); res(); };
  const q = require("node:http").get(url, { agent: false, timeout: t }, (r) => {
    let n = 0; r.on("data", (c) => n += c.length);
    r.on("end", () => { sum.statuses[r.statusCode] = (sum.statuses[r.statusCode] || 0) + 1;
      if (r.statusCode === 200 && n > 0) sum.ok++; else fail("status " + r.statusCode); res(); });
    r.on("error", (e) => fail(e.code || e.message));
  });
  q.on("timeout", () => q.destroy(new Error("timeout")));
  q.on("error", (e) => fail(e.code || e.message));
});
(async () => {
  while (Date.now() < end) { const s = Date.now(); await once(); await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - s)))); }
  process.stdout.write(JSON.stringify(sum));
})();`;

export interface LoopSummary {
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly failures: readonly { readonly at: string; readonly e: string }[];
}

/**
 * Steady load: one GET every `intervalMs` (each on a new connection, so every request takes the
 * whole path: capture, policy, HBONE stream) for `durationMs`; resolves with the tally.
 */
export async function requestLoop(
  netns: string,
  url: string,
  intervalMs: number,
  durationMs: number,
): Promise<LoopSummary> {
  const out = await nodeIn(
    netns,
    LOOP,
    [url, String(intervalMs), String(durationMs), "5000"],
    durationMs + 10_000,
  );
  return JSON.parse(out) as LoopSummary;
}
