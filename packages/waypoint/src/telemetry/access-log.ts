/** One access-log record per request (one JSON line): enough to explain any status without a debugger. */
export interface AccessLogRecord {
  readonly start_time: string;
  readonly duration_ms: number;
  readonly protocol: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly response_code: number;
  readonly response_flags: string;
  /** Route name (`ns/route/rule`), "-" when none matched. */
  readonly route: string;
  /** `ip:port` of the endpoint used, "-" when none. */
  readonly upstream: string;
  readonly upstream_service: string;
  /** Why the waypoint answered itself (denied, no route, timeout, fault, …), "-" otherwise. */
  readonly reason: string;
  readonly attempts: number;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  readonly source_principal: string;
  readonly destination_service: string;
}

export type AccessLogSink = (record: AccessLogRecord) => void;

/** Characters a JSON string must escape (and lone surrogates, left to JSON.stringify). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** A JSON string literal; the common all-plain value skips JSON.stringify. */
const str = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);
const plain = (s: string): boolean => !NEEDS_ESCAPE.test(s);
const num = (n: number): string => (Number.isFinite(n) ? String(n) : "null");

/**
 * One record as one JSON line, fields in the interface's order. Equal to `JSON.stringify(r)` for
 * every record (the test compares both); written out by hand because the generic serializer was
 * a large share of the waypoint's per-request CPU.
 */
export function formatAccessLogLine(r: AccessLogRecord): string {
  // Common case: no value needs escaping, so the quotes live in the literal parts (half the
  // string pieces of quoting each value on its own).
  if (
    plain(r.start_time) &&
    plain(r.protocol) &&
    plain(r.method) &&
    plain(r.path) &&
    plain(r.authority) &&
    plain(r.response_flags) &&
    plain(r.route) &&
    plain(r.upstream) &&
    plain(r.upstream_service) &&
    plain(r.reason) &&
    plain(r.source_principal) &&
    plain(r.destination_service)
  )
    return `{"start_time":"${r.start_time}","duration_ms":${num(r.duration_ms)},"protocol":"${r.protocol}","method":"${r.method}","path":"${r.path}","authority":"${r.authority}","response_code":${num(r.response_code)},"response_flags":"${r.response_flags}","route":"${r.route}","upstream":"${r.upstream}","upstream_service":"${r.upstream_service}","reason":"${r.reason}","attempts":${num(r.attempts)},"bytes_received":${num(r.bytes_received)},"bytes_sent":${num(r.bytes_sent)},"source_principal":"${r.source_principal}","destination_service":"${r.destination_service}"}\n`;
  return `{"start_time":${str(r.start_time)},"duration_ms":${num(r.duration_ms)},"protocol":${str(r.protocol)},"method":${str(r.method)},"path":${str(r.path)},"authority":${str(r.authority)},"response_code":${num(r.response_code)},"response_flags":${str(r.response_flags)},"route":${str(r.route)},"upstream":${str(r.upstream)},"upstream_service":${str(r.upstream_service)},"reason":${str(r.reason)},"attempts":${num(r.attempts)},"bytes_received":${num(r.bytes_received)},"bytes_sent":${num(r.bytes_sent)},"source_principal":${str(r.source_principal)},"destination_service":${str(r.destination_service)}}\n`;
}

let isoSecond = Number.NaN;
let isoPrefix = "";
/**
 * `new Date(ms).toISOString()` with the date part formatted once per second (a Date object and
 * a full format per request were visible in the allocation profile at 1000 rps).
 */
export function isoTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  const frac = Math.floor(ms - sec * 1000);
  return `${isoPrefix}${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
}

/** How long a line may wait for the batch write (Envoy's access-log flush interval is 1 s). */
export const ACCESS_LOG_FLUSH_MS = 100;
const FLUSH_BYTES = 32 * 1024;

let pending = "";
let timer: NodeJS.Timeout | undefined;

/** Write out the lines not yet written (the batch timer, the size limit and process exit call it). */
export function flushAccessLog(): void {
  if (timer) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (pending.length === 0) return;
  const out = pending;
  pending = "";
  process.stdout.write(out);
}
process.once("exit", flushAccessLog);

/**
 * Default sink: one JSON line per request on stdout (the process's access log stream). Lines are
 * written in batches: every {@link ACCESS_LOG_FLUSH_MS} ms, at 32 KiB, and at exit. Why: stdout to
 * a pipe or file is a synchronous syscall in Node, and at 1000 rps one write per request (or per
 * event-loop turn, which at that rate is the same) cost more CPU than routing the request did.
 * The cost of batching: lines of the last 100 ms are lost if the process is killed with SIGKILL.
 */
export const stdoutAccessLog: AccessLogSink = (r) => {
  pending += formatAccessLogLine(r);
  if (pending.length > FLUSH_BYTES) flushAccessLog();
  else if (!timer) {
    timer = setTimeout(flushAccessLog, ACCESS_LOG_FLUSH_MS);
    timer.unref();
  }
};
