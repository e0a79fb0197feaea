import { Ports } from "@ambit/api";
import type { ClusterLayout } from "../plan/cluster-layout.js";
import type { BackoffPolicy, ProcessSpec } from "../supervisor/supervisor.js";
import { type ComponentApp, type ComponentMain, resolveComponentMain } from "./components.js";
import type { StatePaths } from "./state-dir.js";

/** One mesh component instance of the cluster (control plane, or a per-node ztunnel/node agent). */
export interface ComponentInstance {
  /** Supervisor and log name: `control-plane`, `ztunnel-node-1`, `node-agent-node-1`. */
  readonly name: string;
  readonly app: ComponentApp;
  readonly node?: string;
  readonly netns: string;
  readonly main: ComponentMain;
  /** Present when the main exists. */
  readonly spec?: ProcessSpec;
}

/**
 * The component processes of a cluster and the flags each main must accept (the contract with the
 * apps' owners):
 * - control plane, in the cp netns: `--config-dir <stateDir>/config --state-dir <stateDir>
 *   --listen <cpIp>:15012`
 * - per node, in the node netns: ztunnel `--node <node> --state-dir <stateDir> --xds-address
 *   <cpIp>:15012`; node agent `--node <node> --state-dir <stateDir>`.
 * Each also gets AMBIT_COMPONENT / AMBIT_NODE / AMBIT_CLUSTER_ID in its environment.
 */
export function componentInstances(
  layout: ClusterLayout,
  paths: StatePaths,
  resolve: (app: ComponentApp) => ComponentMain = resolveComponentMain,
  backoff?: BackoffPolicy,
): ComponentInstance[] {
  const xds = `${layout.cpIp}:${Ports.controlPlane}`;
  const mk = (
    name: string,
    app: ComponentApp,
    netns: string,
    args: string[],
    node?: string,
  ): ComponentInstance => {
    const main = resolve(app);
    const base = { name, app, netns, main, ...(node !== undefined ? { node } : {}) };
    if (!main.available) return base;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, { AMBIT_COMPONENT: app, AMBIT_CLUSTER_ID: layout.id, AMBIT_NODE: node ?? "" });
    return {
      ...base,
      spec: {
        name,
        argv: [process.execPath, main.path, ...args],
        netns,
        env,
        logFile: paths.logFile(name),
        restart: "always",
        ...(backoff !== undefined ? { backoff } : {}),
      },
    };
  };
  const out = [
    mk("control-plane", "control-plane", layout.cpNetns, [
      "--config-dir",
      paths.configDir,
      "--state-dir",
      paths.root,
      "--listen",
      xds,
    ]),
  ];
  for (const n of layout.nodes) {
    out.push(
      mk(
        `node-agent-${n.name}`,
        "node-agent",
        n.netns,
        ["--node", n.name, "--state-dir", paths.root],
        n.name,
      ),
    );
    out.push(
      mk(
        `ztunnel-${n.name}`,
        "ztunnel",
        n.netns,
        ["--node", n.name, "--state-dir", paths.root, "--xds-address", xds],
        n.name,
      ),
    );
  }
  return out;
}
