import { join } from "node:path";

/** Default state directory; `$AMBIT_STATE_DIR` overrides it (tests use a temp dir). */
export function defaultStateDir(): string {
  return process.env["AMBIT_STATE_DIR"] ?? "/var/lib/ambit";
}

/**
 * Layout of the state directory — the contract between the runtime, the CLI and the components
 * (all get `--state-dir`):
 *
 * ```
 * cluster.json              cluster id and node count (written by the first `up`)
 * desired.json              applied manifests (the desired state; survives daemon restarts)
 * runtime.json              what exists: pods (uid, node, IP, netns), services (VIPs), generations
 * daemon.json               runtime daemon pid + start time; daemon.sock = its control socket
 * pids/<name>.json          every supervised process: pid, start time, argv (crash cleanup)
 * logs/<component>.log      control-plane, ztunnel-node-1, node-agent-node-1, runtime,
 *                           pod-<ns>-<pod>-<container>
 * config/                   the control plane's file source (Namespaces, Services with VIPs,
 *                           Pods with status.podIP/nodeName, mesh config passed through)
 * nodes/<node>/pods.json    per-node pod list for the node agent (@ambit/api NodePodsFile)
 * ```
 * Components may keep their own files under the same root (the control plane's CA, node
 * credentials under nodes/<node>/); `down` removes everything except logs/.
 */
export interface StatePaths {
  readonly root: string;
  readonly clusterFile: string;
  readonly desiredFile: string;
  readonly runtimeFile: string;
  readonly daemonFile: string;
  readonly socket: string;
  readonly pidsDir: string;
  readonly logsDir: string;
  readonly configDir: string;
  readonly nodesDir: string;
  nodePodsFile(node: string): string;
  logFile(component: string): string;
}

export function statePaths(root: string): StatePaths {
  return {
    root,
    clusterFile: join(root, "cluster.json"),
    desiredFile: join(root, "desired.json"),
    runtimeFile: join(root, "runtime.json"),
    daemonFile: join(root, "daemon.json"),
    socket: join(root, "daemon.sock"),
    pidsDir: join(root, "pids"),
    logsDir: join(root, "logs"),
    configDir: join(root, "config"),
    nodesDir: join(root, "nodes"),
    nodePodsFile: (node) => join(root, "nodes", node, "pods.json"),
    logFile: (component) => join(root, "logs", `${component.replace(/[^A-Za-z0-9_.-]/g, "-")}.log`),
  };
}

/** cluster.json */
export interface ClusterInfo {
  readonly id: string;
  readonly nodes: number;
  readonly createdAt: string;
}

/** One entry of desired.json: an applied document and the directory its file was in. */
export interface DesiredEntry {
  readonly raw: Record<string, unknown>;
  readonly sourceDir: string;
}
