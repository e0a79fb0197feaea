/**
 * Control plane process entry:
 *
 *   node dist/main.js --config-dir <d> --state-dir <d> --listen <ip:port>
 *     [--status-socket <path>] [--status-port <n>] [--cluster-id <id>] [--trust-domain <td>]
 *     [--workload-ttl <s>] [--max-workload-ttl <s>] [--ca-dir <dir>] [--additional-roots <file>]
 *     [--log-level debug|info|warn|error]
 *
 * Logs one JSON object per line on stderr. SIGTERM/SIGINT: graceful stop (xDS streams are told to
 * reconnect, open CA calls get a grace period), exit 0.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Ports } from "@ambit/api";
import {
  createLogger,
  isLogLevel,
  type LogLevel,
  parseFlagsOrExit,
  runMain,
  setLogBase,
  setLogLevel,
  stopOnSignals,
} from "@ambit/core";
import { type ControlPlaneConfig, startControlPlane } from "./app.js";

const log = createLogger("control-plane.main");

/** `--help` text (also appended to flag errors). Exported for tests. */
export const USAGE = `usage: control-plane --config-dir <dir> --state-dir <dir> [options]

  --config-dir <dir>        Kubernetes-style YAML the mesh is built from (watched)
  --state-dir <dir>         persistent state: CA root (ca/), node credentials; ca/root-cert.pem is
                            always the published trust bundle
  --listen <ip[:port]>      TLS listener for xDS + CA (default 0.0.0.0:${Ports.controlPlane})
  --status-socket <path>    HTTP status endpoint (default <state-dir>/control-plane/status.sock)
  --status-port <n>         also serve status on 127.0.0.1:<n> (0 = any free port)
  --cluster-id <id>         cluster id sent to proxies
  --trust-domain <td>       SPIFFE trust domain (default cluster.local)
  --workload-ttl <s>        certificate lifetime when a request asks for none (default 86400)
  --max-workload-ttl <s>    longer requests are clamped to this (default 7776000 = 90 days)
  --ca-dir <dir>            sign with an operator CA instead of the self-signed root, Istio's cacerts
                            layout: ca-cert.pem (signer: root or intermediate), ca-key.pem (its key),
                            root-cert.pem (root(s) the signer chains to), cert-chain.pem (optional:
                            signer + intermediates)
  --additional-roots <file> PEM file of extra roots added to the trust bundle (root rotation)
  --log-level <level>       debug | info | warn | error (default info)
  -h, --help                this text`;

/** `ip:port` or `[v6]:port`; a bare IP gets `Ports.controlPlane`. Exported for tests. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(s);
  if (!m?.[1]) throw new Error(`--listen: expected <ip:port>, got ${JSON.stringify(s)}`);
  const port = m[2] === undefined ? Ports.controlPlane : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen: bad port in ${s}`);
  return { host: m[1], port };
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got ${v}`);
  return n;
}

/** Flags → config; throws with the usage on anything wrong. Exported for tests. */
export function parseControlPlaneArgs(argv: readonly string[]): ControlPlaneConfig & { logLevel: LogLevel } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "config-dir": { type: "string" },
      "state-dir": { type: "string" },
      listen: { type: "string" },
      "status-socket": { type: "string" },
      "status-port": { type: "string" },
      "cluster-id": { type: "string" },
      "trust-domain": { type: "string" },
      "workload-ttl": { type: "string" },
      "max-workload-ttl": { type: "string" },
      "ca-dir": { type: "string" },
      "additional-roots": { type: "string" },
      "log-level": { type: "string", default: "info" },
    },
    strict: true,
  });
  const configDir = values["config-dir"];
  const stateDir = values["state-dir"];
  if (!configDir) throw new Error(`--config-dir missing\n${USAGE}`);
  if (!stateDir) throw new Error(`--state-dir missing\n${USAGE}`);
  const listen = parseListen(values.listen ?? `0.0.0.0:${Ports.controlPlane}`);
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) throw new Error(`--log-level: bad level\n${USAGE}`);
  const statusPort = positiveInt("status-port", values["status-port"]);
  const ttl = positiveInt("workload-ttl", values["workload-ttl"]);
  const maxTtl = positiveInt("max-workload-ttl", values["max-workload-ttl"]);
  const mesh = {
    ...(values["cluster-id"] ? { clusterId: values["cluster-id"] } : {}),
    ...(values["trust-domain"] ? { trustDomain: values["trust-domain"] } : {}),
  };
  return {
    configDir,
    stateDir,
    listenHost: listen.host,
    listenPort: listen.port,
    statusSocket: values["status-socket"] ?? join(stateDir, "control-plane", "status.sock"),
    ...(statusPort !== undefined ? { statusPort } : {}),
    ...(Object.keys(mesh).length > 0 ? { mesh } : {}),
    ...(ttl !== undefined ? { workloadTtlSeconds: ttl } : {}),
    ...(maxTtl !== undefined ? { maxWorkloadTtlSeconds: maxTtl } : {}),
    ...(values["ca-dir"] ? { caDir: values["ca-dir"] } : {}),
    ...(values["additional-roots"] ? { additionalRootsFile: values["additional-roots"] } : {}),
    logLevel: level,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cfg = parseFlagsOrExit(() => parseControlPlaneArgs(argv));
  setLogLevel(cfg.logLevel);
  setLogBase({ component: "control-plane" });
  const app = await startControlPlane(cfg);
  stopOnSignals(log, () => app.stop(1000));
}

runMain(log, "control plane", main);
