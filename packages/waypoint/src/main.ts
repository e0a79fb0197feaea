/**
 * Waypoint process entry (run by the local runtime inside the waypoint pod's netns):
 *
 *   node dist/main.js --name <gw> --namespace <ns> --node <node> --state-dir <d> --xds-address <ip:port>
 *     [--ca-address <ip:port>] [--root-cert <pem>] [--token-file <f>] [--trust-domain <td>]
 *     [--cluster-id <id>] [--pod-name <pod>] [--pod-ip <ip>] [--hbone-port <n>] [--admin-port <n>]
 *     [--metrics-port <n>] [--readiness-port <n>] [--log-level <l>]
 *
 * Defaults follow the local state-dir layout: root cert `<d>/ca/root-cert.pem`, token
 * `<d>/nodes/<node>/node-token`; pod name `<gw>-waypoint`. Usage errors exit 2 with the usage.
 * Logs JSON lines on stderr, access log on stdout. SIGTERM/SIGINT: drain, exit 0.
 */
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { Ports } from "@ambit/api";
import {
  CodedError,
  createLogger,
  errorMessage,
  hostPortFlag,
  isLogLevel,
  type LogLevel,
  parseFlagsOrExit,
  portFlag,
  proxyBootstrapFlags,
  proxyHttpListenFlags,
  runMain,
  setLogBase,
  setLogLevel,
  stopOnSignals,
} from "@ambit/core";
import { startWaypoint, type WaypointProcessConfig } from "./app.js";

const log = createLogger("waypoint.main");

export const USAGE =
  "usage: waypoint --name <gateway> --namespace <ns> --node <node> --state-dir <dir> --xds-address <ip:port> " +
  "[--ca-address <ip:port>] [--root-cert <pem>] [--token-file <file>] [--trust-domain <td>] [--cluster-id <id>] " +
  "[--pod-name <pod>] [--pod-ip <ip>] [--hbone-port <n>] [--admin-port <n>] [--metrics-port <n>] " +
  "[--readiness-port <n>] [--log-level debug|info|warn|error]";

/** Why the flags were refused; main prints the message (which ends with the usage) and exits 2. */
export type UsageErrorCode = "bad_flags" | "missing_flag" | "invalid_value";

export class UsageError extends CodedError<UsageErrorCode> {
  override readonly name = "UsageError";
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const TRUST_DOMAIN = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;

function fail(msg: string, code: UsageErrorCode = "invalid_value"): never {
  throw new UsageError(code, `${msg}\n${USAGE}`);
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") fail(`--${name} missing`, "missing_flag");
  return v;
}

/** Flags → config; throws {@link UsageError} (message ends with the usage) on anything wrong. */
export function parseWaypointArgs(argv: readonly string[]): WaypointProcessConfig & { logLevel: LogLevel } {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        name: { type: "string" },
        namespace: { type: "string" },
        node: { type: "string" },
        "state-dir": { type: "string" },
        "xds-address": { type: "string" },
        "ca-address": { type: "string" },
        "root-cert": { type: "string" },
        "token-file": { type: "string" },
        "trust-domain": { type: "string" },
        "cluster-id": { type: "string" },
        "pod-name": { type: "string" },
        "pod-ip": { type: "string" },
        "hbone-port": { type: "string" },
        "admin-port": { type: "string" },
        "metrics-port": { type: "string" },
        "readiness-port": { type: "string" },
        "log-level": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail(errorMessage(e), "bad_flags");
  }
  const name = required(values, "name");
  const namespace = required(values, "namespace");
  const node = required(values, "node");
  const stateDir = required(values, "state-dir");
  const xdsAddress = hostPortFlag("xds-address", required(values, "xds-address"), fail);
  if (!DNS_LABEL.test(name)) fail(`--name: not a DNS label: ${name}`);
  if (!DNS_LABEL.test(namespace)) fail(`--namespace: not a DNS label: ${namespace}`);
  if (!DNS_NAME.test(node)) fail(`--node: invalid node name ${node}`);
  const trustDomain = values["trust-domain"] ?? "cluster.local";
  if (!TRUST_DOMAIN.test(trustDomain)) fail(`--trust-domain: invalid ${trustDomain}`);
  const podName = values["pod-name"] ?? `${name}-waypoint`;
  if (!DNS_NAME.test(podName)) fail(`--pod-name: invalid ${podName}`);
  const podIp = values["pod-ip"];
  if (podIp !== undefined && isIP(podIp) === 0) fail(`--pod-ip: not an IP address: ${podIp}`);
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) fail(`--log-level: bad level ${level}`);
  const clusterId = values["cluster-id"] ?? "Kubernetes";
  if (clusterId === "") fail("--cluster-id: empty");
  return {
    name,
    namespace,
    node,
    xdsAddress,
    ...proxyBootstrapFlags(values, { stateDir, node, xdsAddress }, fail),
    trustDomain,
    clusterId,
    podName,
    podIp,
    hbone: { host: "0.0.0.0", port: portFlag("hbone-port", values["hbone-port"], Ports.hbone, fail) },
    ...proxyHttpListenFlags(values, fail),
    logLevel: level,
  };
}

async function main(): Promise<void> {
  const cfg = parseFlagsOrExit(() => parseWaypointArgs(process.argv.slice(2)));
  setLogLevel(cfg.logLevel);
  setLogBase({ component: "waypoint", gateway: `${cfg.namespace}/${cfg.name}`, node: cfg.node });
  const app = await startWaypoint(cfg);
  stopOnSignals(log, () => app.stop(), "draining");
}

runMain(log, "waypoint", main);
