/**
 * Node agent process entry:
 *   node dist/main.js --node <n> --state-dir <d> [--zds-socket <p>] [--dns-capture] [--ipv6 auto|on|off]
 * Logs one JSON object per line on stderr. SIGTERM/SIGINT: stop watching and close ZDS, leaving
 * every pod's rules in place so traffic keeps flowing while the agent is away.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createLogger, parseFlagsOrExit, runMain, setLogBase, stopOnSignals } from "@ambit/core";
import { type AgentArgs, parseAgentArgs } from "./agent-args.js";
import { createLinuxNetnsExec, InpodRedirector } from "./netns/index.js";
import { NodeAgent } from "./pods/index.js";

const log = createLogger("node-agent.main");

async function main(): Promise<void> {
  const args: AgentArgs = parseFlagsOrExit(() => parseAgentArgs(process.argv.slice(2)));
  setLogBase({ component: "node-agent", node: args.node });
  mkdirSync(join(args.stateDir, "nodes", args.node), { recursive: true });
  const agent = new NodeAgent({
    node: args.node,
    podsFile: args.podsFile,
    zdsSocketPath: args.zdsSocket,
    statusFile: args.statusFile,
    redirector: new InpodRedirector(createLinuxNetnsExec()),
    dnsCapture: args.dnsCapture,
    ipv6: args.ipv6,
    ...(args.retryIntervalMs !== undefined ? { retryIntervalMs: args.retryIntervalMs } : {}),
  });
  await agent.start();
  log.info("node agent started", {
    zdsSocket: args.zdsSocket,
    podsFile: args.podsFile,
    statusFile: args.statusFile,
  });
  stopOnSignals(log, () => agent.stop(), "stopping; in-pod rules stay in place");
}

runMain(log, "node agent", main);
