/**
 * Structured JSON logging with per-module tracer names (grpc-js style): `AMBIT_LOG=info` sets the
 * level, `AMBIT_TRACE=proxy.inbound,xds` turns on debug output for those tracers only, so debug
 * lines cost one property check when off. One line per event, written synchronously to stderr so
 * a crash never loses the line that explains it.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  readonly tracer: string;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** True when debug lines of this tracer would be written: guard costly field building with it. */
  readonly debugEnabled: boolean;
}

/** Where lines go; tests swap it to capture output. */
export type LogSink = (line: string) => void;

let sink: LogSink = (line) => process.stderr.write(line + "\n");
let minLevel: number = LEVELS[(process.env["AMBIT_LOG"] as LogLevel | undefined) ?? "info"] ?? LEVELS.info;
let traced = new Set((process.env["AMBIT_TRACE"] ?? "").split(",").filter(Boolean));
let baseFields: Record<string, unknown> = {};

/** Replace the sink (returns the previous one). */
export function setLogSink(next: LogSink): LogSink {
  const prev = sink;
  sink = next;
  return prev;
}

export function setLogLevel(level: LogLevel): void {
  minLevel = LEVELS[level];
}

export function setTracers(names: readonly string[]): void {
  traced = new Set(names);
}

/** Fields added to every line of this process (e.g. `{component: "ztunnel", node: "node-1"}`). */
export function setLogBase(fields: Record<string, unknown>): void {
  baseFields = { ...fields };
}

function errorFields(v: unknown): unknown {
  if (v instanceof Error) {
    const out: Record<string, unknown> = { message: v.message, name: v.name };
    const code = (v as { code?: unknown }).code;
    if (code !== undefined) out["code"] = code;
    return out;
  }
  return v;
}

function write(level: LogLevel, tracer: string, msg: string, fields?: Record<string, unknown>): void {
  const rec: Record<string, unknown> = {
    time: new Date().toISOString(),
    level,
    scope: tracer,
    msg,
    ...baseFields,
  };
  if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = errorFields(v);
  sink(JSON.stringify(rec));
}

/** A logger for one module. Create once at module level: `const log = createLogger("xds.client")`. */
export function createLogger(tracer: string): Logger {
  return {
    tracer,
    get debugEnabled() {
      return minLevel <= LEVELS.debug || traced.has(tracer) || traced.has("*");
    },
    debug(msg, fields) {
      if (minLevel <= LEVELS.debug || traced.has(tracer) || traced.has("*"))
        write("debug", tracer, msg, fields);
    },
    info(msg, fields) {
      if (minLevel <= LEVELS.info) write("info", tracer, msg, fields);
    },
    warn(msg, fields) {
      if (minLevel <= LEVELS.warn) write("warn", tracer, msg, fields);
    },
    error(msg, fields) {
      write("error", tracer, msg, fields);
    },
  };
}
