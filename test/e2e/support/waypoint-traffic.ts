/**
 * Requests from inside a pod for the waypoint suite: a batch of HTTP requests from one Node
 * process (keep-alive pool, bounded concurrency), each with its status, body, a few response
 * headers and its duration; and one gRPC unary + server-streaming exchange.
 */
import { execFile } from "node:child_process";
import { GRPC_CLIENT } from "./waypoint-apps.js";

/** One request's outcome (`error` instead of `status` when no response came). */
export interface Reply {
  readonly status?: number;
  readonly error?: string;
  readonly body: string;
  /** `x-version`, `x-wp-case`, `www-authenticate`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly ms: number;
}

const BATCH = `
const [url, n, conc, hdrs, t] = process.argv.slice(1);
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const keep = ["x-version", "x-wp-case", "www-authenticate"];
const out = [];
const one = () => new Promise((res) => {
  const start = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
  const q = http.get(url, { agent, headers: JSON.parse(hdrs), timeout: Number(t) }, (r) => {
    let body = ""; r.setEncoding("utf8"); r.on("data", (c) => body += c);
    r.on("end", () => { const headers = {}; for (const k of keep) if (r.headers[k]) headers[k] = r.headers[k];
      out.push({ status: r.statusCode, body: body.slice(0, 2000), headers, ms: ms() }); res(); });
    r.on("error", (e) => { out.push({ error: e.code || e.message, body, headers: {}, ms: ms() }); res(); });
  });
  q.on("timeout", () => q.destroy(new Error("timeout")));
  q.on("error", (e) => { out.push({ error: e.code || e.message, body: "", headers: {}, ms: ms() }); res(); });
});
let left = Number(n);
const worker = async () => { while (left-- > 0) await one(); };
Promise.all(Array.from({ length: Number(conc) }, worker)).then(() => {
  process.stdout.write(JSON.stringify(out)); process.exit(0);
});`;

function nodeIn(netns: string, script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "ip",
      ["netns", "exec", netns, process.execPath, "-e", script, ...args],
      { timeout: timeoutMs, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (stdout.trim() !== "") resolve(stdout.trim());
        else reject(new Error(`in ${netns}: ${err?.message ?? "no output"} ${stderr.slice(-500)}`));
      },
    );
  });
}

export interface BatchOptions {
  /** Number of requests (default 1). */
  readonly count?: number;
  /** Requests in flight at once, each on a pooled keep-alive connection (default 1). */
  readonly concurrency?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** `count` GETs of `url` from inside `netns`; replies in completion order. */
export async function httpBatch(netns: string, url: string, o: BatchOptions = {}): Promise<Reply[]> {
  const count = o.count ?? 1;
  const conc = Math.min(o.concurrency ?? 1, count);
  const t = o.timeoutMs ?? 5000;
  const args = [url, String(count), String(conc), JSON.stringify(o.headers ?? {}), String(t)];
  const budget = Math.ceil(count / conc) * t + 15_000;
  return JSON.parse(await nodeIn(netns, BATCH, args, budget)) as Reply[];
}

/** One GET (see {@link httpBatch}). */
export async function httpOnce(
  netns: string,
  url: string,
  o: Omit<BatchOptions, "count"> = {},
): Promise<Reply> {
  const [r] = await httpBatch(netns, url, { ...o, count: 1 });
  if (r === undefined) throw new Error(`no reply from ${url}`);
  return r;
}

/** Tally of replies by status (`error:<code>` for failures without a response). */
export function tally(replies: readonly Reply[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of replies) {
    const k = r.status !== undefined ? String(r.status) : `error:${r.error}`;
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

export interface GrpcExchange {
  readonly unary?: { readonly echo: string; readonly pod: string };
  readonly unaryError?: { readonly code: number; readonly details: string };
  readonly stream?: readonly number[];
  readonly streamError?: { readonly code: number; readonly details: string };
  /** Time between the first and the last streamed message (streamed, not buffered, when > 0). */
  readonly spreadMs?: number;
}

/** A unary `Echo` then an `n`-message `Count` stream to `target` (`ip:port`) from inside `netns`. */
export async function grpcExchange(
  netns: string,
  target: string,
  o: { readonly msg: string; readonly n: number; readonly fail?: boolean; readonly timeoutMs?: number },
): Promise<GrpcExchange> {
  const t = o.timeoutMs ?? 8000;
  const args = [target, o.msg, String(o.n), o.fail ? "1" : "0", String(t)];
  return JSON.parse(await nodeIn(netns, GRPC_CLIENT, args, 2 * t + 10_000)) as GrpcExchange;
}
