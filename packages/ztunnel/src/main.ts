/**
 * ztunnel process entry:
 *
 *   node dist/main.js --node <n> --state-dir <d> --xds-address <ip:port>
 *     [--ca-address <ip:port>] [--root-cert <pem>] [--token-file <f>] [--zds-socket <path> | --no-inpod]
 *     [--cluster-id <id>] [--network <n>] [--server-name <tls name>] [--cert-ttl <s>]
 *     [--admin-port <n>] [--metrics-port <n>] [--readiness-port <n>] [--log-level <l>]
 *
 * Defaults follow the local state-dir layout: root cert `<d>/ca/root-cert.pem` (the control plane
 * writes it), token `<d>/nodes/<n>/node-token` (the local runtime writes it), ZDS socket
 * `<d>/nodes/<n>/ztunnel.sock` (the node agent listens there). Logs JSON lines on stderr.
 * SIGTERM/SIGINT: stop pod proxies, close xDS, exit 0.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  createLogger,
  hostPortFlag,
  isLogLevel,
  type LogLevel,
  parseFlagsOrExit,
  proxyBootstrapFlags,
  proxyHttpListenFlags,
  runMain,
  setLogBase,
  setLogLevel,
  stopOnSignals,
} from "@ambit/core";
import { startZtunnel, type ZtunnelConfig } from "./app.js";

const log = createLogger("ztunnel.main");

const USAGE =
  "usage: ztunnel --node <name> --state-dir <dir> --xds-address <ip:port> [--ca-address <ip:port>] " +
  "[--root-cert <pem>] [--token-file <file>] [--zds-socket <path> | --no-inpod] [--cluster-id <id>] " +
  "[--network <n>] [--server-name <name>] [--cert-ttl <s>] [--admin-port <n>] [--metrics-port <n>] " +
  "[--readiness-port <n>] [--log-level debug|info|warn|error]";

function fail(msg: string): never {
  throw new Error(`${msg}\n${USAGE}`);
}

/** Flags → config; throws with the usage on anything wrong. Exported for tests. */
export function parseZtunnelArgs(argv: readonly string[]): ZtunnelConfig & { logLevel: LogLevel } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      node: { type: "string" },
      "state-dir": { type: "string" },
      "xds-address": { type: "string" },
      "ca-address": { type: "string" },
      "root-cert": { type: "string" },
      "token-file": { type: "string" },
      "zds-socket": { type: "string" },
      "no-inpod": { type: "boolean", default: false },
      "cluster-id": { type: "string", default: "Kubernetes" },
      network: { type: "string", default: "" },
      "server-name": { type: "string" },
      "cert-ttl": { type: "string" },
      "admin-port": { type: "string" },
      "metrics-port": { type: "string" },
      "readiness-port": { type: "string" },
      "log-level": { type: "string", default: "info" },
    },
    strict: true,
  });
  const node = values.node;
  const stateDir = values["state-dir"];
  if (!node || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node))
    throw new Error(`--node missing or invalid\n${USAGE}`);
  if (!stateDir) throw new Error(`--state-dir missing\n${USAGE}`);
  if (!values["xds-address"]) throw new Error(`--xds-address missing\n${USAGE}`);
  if (values["no-inpod"] && values["zds-socket"] !== undefined)
    throw new Error(`--zds-socket and --no-inpod exclude each other\n${USAGE}`);
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) fail("--log-level: bad level");
  const ttl = values["cert-ttl"];
  if (ttl !== undefined && !(Number.isInteger(Number(ttl)) && Number(ttl) > 0))
    throw new Error(`--cert-ttl: expected seconds > 0, got ${ttl}\n${USAGE}`);
  const xdsAddress = hostPortFlag("xds-address", values["xds-address"], fail);
  const nodeDir = join(stateDir, "nodes", node);
  return {
    node,
    xdsAddress,
    ...proxyBootstrapFlags(values, { stateDir, node, xdsAddress }, fail),
    zdsSocket: values["no-inpod"] ? undefined : (values["zds-socket"] ?? join(nodeDir, "ztunnel.sock")),
    clusterId: values["cluster-id"] ?? "Kubernetes",
    network: values.network ?? "",
    ...(values["server-name"] !== undefined ? { serverName: values["server-name"] } : {}),
    ...(ttl !== undefined ? { certTtlSeconds: Number(ttl) } : {}),
    ...proxyHttpListenFlags(values, fail),
    logLevel: level,
  };
}

async function main(): Promise<void> {
  const cfg = parseFlagsOrExit(() => parseZtunnelArgs(process.argv.slice(2)));
  setLogLevel(cfg.logLevel);
  setLogBase({ component: "ztunnel", node: cfg.node });
  const app = await startZtunnel(cfg);
  stopOnSignals(log, () => app.stop());
}

runMain(log, "ztunnel", main);
