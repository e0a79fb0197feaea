import { Ports } from "@ambit/api";
import type { ClusterLayout } from "../plan/cluster-layout.js";
import type { PodRecord } from "../plan/pod-plan.js";
import type { BackoffPolicy, ProcessSpec } from "../supervisor/supervisor.js";
import { type ComponentApp, type ComponentMain, resolveComponentMain } from "./components.js";
import { waypointProcessName } from "./pod-processes.js";
import type { StatePaths } from "./state-dir.js";

/** One mesh component instance of the cluster (control plane, a per-node ztunnel/node agent, a waypoint). */
export interface ComponentInstance {
  /** Supervisor and log name: `control-plane`, `ztunnel-node-1`, `node-agent-node-1`, `waypoint-<ns>-<gw>`. */
  readonly name: string;
  readonly app: ComponentApp;
  readonly node?: string;
  readonly netns: string;
  readonly main: ComponentMain;
  /** Present when the main exists. */
  readonly spec?: ProcessSpec;
}

/** What `ambit status` says about one component process. */
export interface ComponentStatus {
  readonly name: string;
  readonly app: string;
  readonly node?: string;
  readonly netns: string;
  /** `unavailable`: the app's main does not exist in this build (see `detail`). */
  readonly state: "running" | "backoff" | "exited" | "stopped" | "unavailable";
  readonly pid?: number;
  readonly restarts: number;
  /** From the readiness endpoint where the app has one, else from process liveness. */
  readonly health: "ready" | "not ready" | "alive" | "down";
  readonly detail: string;
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
  const env = processEnv();
  const mk = (
    name: string,
    app: ComponentApp,
    netns: string,
    args: string[],
    node?: string,
  ): ComponentInstance =>
    instance(layout, paths, { name, app, netns, args, node }, resolve(app), env, backoff);
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

/** A copy of this process's environment (components inherit it, e.g. NODE_OPTIONS in tests). */
export function processEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

function instance(
  layout: ClusterLayout,
  paths: StatePaths,
  c: { name: string; app: ComponentApp; netns: string; args: readonly string[]; node?: string | undefined },
  main: ComponentMain,
  baseEnv: Readonly<Record<string, string>>,
  backoff: BackoffPolicy | undefined,
): ComponentInstance {
  const { name, app, netns, node } = c;
  const base = { name, app, netns, main, ...(node !== undefined ? { node } : {}) };
  if (!main.available) return base;
  const env = { ...baseEnv, AMBIT_COMPONENT: app, AMBIT_CLUSTER_ID: layout.id, AMBIT_NODE: node ?? "" };
  return {
    ...base,
    spec: {
      name,
      argv: [process.execPath, main.path, ...c.args],
      netns,
      env,
      logFile: paths.logFile(name),
      restart: "always",
      ...(backoff !== undefined ? { backoff } : {}),
    },
  };
}

/**
 * The waypoint process of a waypoint pod, run inside the pod's netns with exactly the flags of
 * the waypoint contract: `--name <gw> --namespace <ns> --node <node> --state-dir <stateDir>
 * --xds-address <cpIp>:15012 --pod-name <gw>-waypoint --pod-ip <podIP>`. Supervisor/log name
 * `waypoint-<ns>-<gw>`. `baseEnv` is the environment captured when the cluster's components
 * started, so a Gateway applied later runs under the same environment as they do.
 */
export function waypointInstance(
  layout: ClusterLayout,
  paths: StatePaths,
  pod: Pick<PodRecord, "name" | "namespace" | "node" | "ip" | "netns" | "waypoint">,
  main: ComponentMain,
  baseEnv: Readonly<Record<string, string>>,
  backoff?: BackoffPolicy,
): ComponentInstance {
  const gw = pod.waypoint ?? pod.name;
  const args = [
    "--name",
    gw,
    "--namespace",
    pod.namespace,
    "--node",
    pod.node,
    "--state-dir",
    paths.root,
    "--xds-address",
    `${layout.cpIp}:${Ports.controlPlane}`,
    "--pod-name",
    pod.name,
    "--pod-ip",
    pod.ip,
  ];
  const name = waypointProcessName(pod.namespace, gw);
  return instance(
    layout,
    paths,
    { name, app: "waypoint", netns: pod.netns, args, node: pod.node },
    main,
    baseEnv,
    backoff,
  );
}
