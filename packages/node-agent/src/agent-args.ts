/** Command line of the node agent process (see main.ts). */
import { join } from "node:path";
import { parseArgs } from "node:util";

/** Parsed command line; exported for tests. */
export interface AgentArgs {
  readonly node: string;
  readonly stateDir: string;
  readonly zdsSocket: string;
  readonly podsFile: string;
  readonly statusFile: string;
  readonly dnsCapture: boolean;
  readonly ipv6: "auto" | boolean;
  readonly retryIntervalMs?: number;
}

const USAGE =
  "usage: node-agent --node <name> --state-dir <dir> [--zds-socket <path>] [--dns-capture] [--ipv6 auto|on|off]";

export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      node: { type: "string" },
      "state-dir": { type: "string" },
      "zds-socket": { type: "string" },
      "dns-capture": { type: "boolean", default: false },
      ipv6: { type: "string", default: "auto" },
      "retry-interval-ms": { type: "string" },
    },
    strict: true,
  });
  const node = values.node;
  const stateDir = values["state-dir"];
  if (!node || !/^[A-Za-z0-9_.-]+$/.test(node)) throw new Error(`--node missing or invalid\n${USAGE}`);
  if (!stateDir) throw new Error(`--state-dir missing\n${USAGE}`);
  const ipv6 =
    values.ipv6 === "auto" ? "auto" : values.ipv6 === "on" ? true : values.ipv6 === "off" ? false : undefined;
  if (ipv6 === undefined) throw new Error(`--ipv6 must be auto, on or off\n${USAGE}`);
  const nodeDir = join(stateDir, "nodes", node);
  const retry = values["retry-interval-ms"];
  return {
    node,
    stateDir,
    zdsSocket: values["zds-socket"] ?? join(nodeDir, "ztunnel.sock"),
    podsFile: join(nodeDir, "pods.json"),
    statusFile: join(nodeDir, "node-agent-status.json"),
    dnsCapture: values["dns-capture"] ?? false,
    ipv6,
    ...(retry !== undefined ? { retryIntervalMs: Number(retry) } : {}),
  };
}
