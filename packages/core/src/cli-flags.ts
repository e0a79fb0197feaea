/**
 * Flag checks the process entries (control plane, ztunnel, waypoint) share. Each entry keeps its
 * own usage text and error class, so the checks report through a `fail` callback that the entry
 * supplies (it appends the usage and throws); the messages themselves are the same everywhere.
 */
import { join } from "node:path";
import { Ports } from "@ambit/api";
import type { LogLevel } from "./logger.js";

/** Reports a bad flag; never returns (the entry's own error, message ending with its usage). */
export type FlagFail = (message: string) => never;

/** The levels `--log-level` accepts. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v);
}

/** `--<name> <n>`: a TCP port 0..65535 (0 = any, for tests); `dflt` when the flag is absent. */
export function portFlag(name: string, v: string | undefined, dflt: number, fail: FlagFail): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name}: bad port ${v}`);
  return n;
}

/** `--<name> <host:port>` (`[v6]:port` too) with a port 1..65535; returned unchanged. */
export function hostPortFlag(name: string, v: string, fail: FlagFail): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) fail(`--${name}: expected <host:port>, got ${v}`);
  return v;
}

/** A listen address built from flags. */
export interface ListenFlag {
  readonly host: string;
  readonly port: number;
}

/**
 * A proxy's node-side HTTP listeners from `--admin-port` (loopback only, like Istio's admin),
 * `--metrics-port` and `--readiness-port` (all addresses, for the scraper and the kubelet).
 */
export function proxyHttpListenFlags(
  values: Readonly<Record<string, unknown>>,
  fail: FlagFail,
): { readonly admin: ListenFlag; readonly metrics: ListenFlag; readonly readiness: ListenFlag } {
  const flag = (name: string, dflt: number): number => {
    const v = values[name];
    return portFlag(name, typeof v === "string" ? v : undefined, dflt, fail);
  };
  return {
    admin: { host: "127.0.0.1", port: flag("admin-port", Ports.admin) },
    metrics: { host: "0.0.0.0", port: flag("metrics-port", Ports.metrics) },
    readiness: { host: "0.0.0.0", port: flag("readiness-port", Ports.readiness) },
  };
}

/**
 * Where a proxy finds the control plane's CA and its bootstrap files: `--ca-address` (default: the
 * validated xDS address, the control plane serves both), `--root-cert` and `--token-file`
 * (defaults follow the local state-dir layout: `<d>/ca/root-cert.pem`, `<d>/nodes/<node>/node-token`).
 */
export function proxyBootstrapFlags(
  values: Readonly<Record<string, unknown>>,
  at: { readonly stateDir: string; readonly node: string; readonly xdsAddress: string },
  fail: FlagFail,
): { readonly caAddress: string; readonly rootCertPath: string; readonly tokenFile: string } {
  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const ca = str("ca-address");
  return {
    caAddress: ca !== undefined ? hostPortFlag("ca-address", ca, fail) : at.xdsAddress,
    rootCertPath: str("root-cert") ?? join(at.stateDir, "ca", "root-cert.pem"),
    tokenFile: str("token-file") ?? join(at.stateDir, "nodes", at.node, "node-token"),
  };
}

/**
 * Run an entry's flag parser; on a usage error print its message on stderr and exit 2 (the exit
 * code the local runtime and the tests read as "bad flags", distinct from a crash's 1).
 */
export function parseFlagsOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
