import { join } from "node:path";
import { Ports } from "@ambit/api";
import { probeInNetns } from "../cluster/probe.js";
import { unixGetJson } from "../cluster/unix-http.js";
import { readJson } from "../fs-atomic.js";
import type { AppliedObject } from "../manifest/manifest-types.js";
import type { ClusterLayout } from "../plan/cluster-layout.js";
import type { PodRecord } from "../plan/pod-plan.js";
import { type ServiceRecord, serviceEndpoints } from "../plan/service-plan.js";
import type { ProcessStatus } from "../supervisor/supervisor.js";
import type { ComponentInstance, ComponentStatus } from "./component-processes.js";
import { podProcessName } from "./pod-processes.js";
import { namespaceLabels, podWantsMesh } from "./publish.js";
import type { StatePaths } from "./state-dir.js";
import { type WaypointPodStatus, waypointStatuses } from "./waypoint-status.js";

export type { ComponentStatus } from "./component-processes.js";
export type { WaypointPodStatus } from "./waypoint-status.js";

export interface PodStatus {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly node: string;
  readonly ip: string;
  readonly netns: string;
  /** Running, or CrashLoopBackOff while a container waits for its restart. */
  readonly phase: string;
  /** `ambient` when the labels ask for the mesh. */
  readonly mesh: "ambient" | "none";
  /** From the node agent's status file (`yes` only after ztunnel acknowledged the pod); `unknown` without an agent. */
  readonly enrolled: "yes" | "no" | "unknown";
  readonly restarts: number;
  readonly containers: readonly { readonly name: string; readonly state: string; readonly pid?: number }[];
}

export interface ClusterStatus {
  readonly cluster: {
    readonly id: string;
    readonly prefix: string;
    readonly stateDir: string;
    readonly daemonPid: number;
  };
  readonly nodes: readonly {
    readonly name: string;
    readonly ip: string;
    readonly podCidr: string;
    readonly netns: string;
    readonly pods: number;
  }[];
  readonly controlPlane: { readonly netns: string; readonly address: string };
  readonly components: readonly ComponentStatus[];
  readonly pods: readonly PodStatus[];
  readonly waypoints: readonly WaypointPodStatus[];
  readonly services: readonly {
    readonly name: string;
    readonly namespace: string;
    readonly vip: string;
    readonly ports: string;
    readonly endpoints: number;
  }[];
}

interface StatusInput {
  readonly layout: ClusterLayout;
  readonly paths: StatePaths;
  readonly pods: readonly PodRecord[];
  readonly services: readonly ServiceRecord[];
  readonly objects: readonly AppliedObject[];
  readonly components: readonly ComponentInstance[];
  /** One instance per waypoint pod (app `waypoint`, netns = the pod's). */
  readonly waypoints: readonly ComponentInstance[];
  readonly processes: readonly ProcessStatus[];
  readonly notes: ReadonlyMap<string, string>;
}

/** Health of one component process: its readiness endpoint or status file where it has one, else liveness. */
export async function componentHealth(
  paths: StatePaths,
  c: ComponentInstance,
  p: ProcessStatus | undefined,
  layout: ClusterLayout,
  note: string | undefined,
): Promise<ComponentStatus> {
  const base = {
    name: c.name,
    app: c.app,
    netns: c.netns,
    ...(c.node !== undefined ? { node: c.node } : {}),
  };
  if (!c.main.available)
    return { ...base, state: "unavailable", restarts: 0, health: "down", detail: c.main.reason };
  if (p === undefined || p.state !== "running") {
    return {
      ...base,
      state: p?.state ?? "stopped",
      restarts: p?.restarts ?? 0,
      health: "down",
      detail: note ?? p?.lastExit ?? "",
    };
  }
  const run = { ...base, state: "running" as const, pid: p.pid ?? 0, restarts: p.restarts };
  if (c.app === "ztunnel" || c.app === "waypoint") {
    const r = await probeInNetns(c.netns, {
      kind: "http",
      url: `http://127.0.0.1:${Ports.readiness}/healthz/ready`,
    });
    return {
      ...run,
      health: r.ok ? "ready" : "not ready",
      detail: `readiness :${Ports.readiness}: ${r.detail}`,
    };
  }
  if (c.app === "control-plane") {
    const [r, ready, errors] = await Promise.all([
      probeInNetns(c.netns, { kind: "tcp", host: layout.cpIp, port: Ports.controlPlane }),
      unixGetJson(join(paths.root, "control-plane", "status.sock"), "/healthz/ready"),
      unixGetJson(join(paths.root, "control-plane", "status.sock"), "/debug/config_errors"),
    ]);
    const sum = (errors as { summary?: { errors?: number; warnings?: number } } | undefined)?.summary;
    const snap = (ready as { snapshotVersion?: unknown } | undefined)?.snapshotVersion;
    const parts = [`xDS :${Ports.controlPlane}: ${r.detail}`];
    if (snap !== undefined) parts.push(`snapshot ${String(snap)}`);
    if (sum !== undefined) parts.push(`config: ${sum.errors ?? 0} errors, ${sum.warnings ?? 0} warnings`);
    return { ...run, health: r.ok && ready !== undefined ? "ready" : "not ready", detail: parts.join(", ") };
  }
  if (c.app === "node-agent" && c.node !== undefined) {
    // The agent's own status dump: ZDS connection to ztunnel and per-pod enrolment.
    const st = readJson<{ ztunnelConnected?: boolean; pods?: { wanted?: boolean; enrolled?: boolean }[] }>(
      join(paths.nodesDir, c.node, "node-agent-status.json"),
    );
    if (st !== undefined) {
      const wanted = (st.pods ?? []).filter((p) => p.wanted === true);
      const enrolled = wanted.filter((p) => p.enrolled === true).length;
      return {
        ...run,
        health: st.ztunnelConnected === true ? "ready" : "not ready",
        detail: `ZDS ${st.ztunnelConnected === true ? "connected" : "not connected"}, ${enrolled}/${wanted.length} pods enrolled`,
      };
    }
  }
  return { ...run, health: "alive", detail: "process running (no status yet)" };
}

/** The node agent's view of one pod (`nodes/<node>/node-agent-status.json`, written by the agent). */
function enrolment(paths: StatePaths, p: PodRecord): "yes" | "no" | "unknown" {
  const st = readJson<{ pods?: { uid: string; enrolled: boolean }[] }>(
    join(paths.nodesDir, p.node, "node-agent-status.json"),
  );
  const rec = st?.pods?.find((x) => x.uid === p.uid);
  if (rec === undefined) return st === undefined ? "unknown" : "no";
  return rec.enrolled ? "yes" : "no";
}

/** Gathers what `ambit status` shows; component probes run concurrently inside their netns. */
export async function collectStatus(s: StatusInput): Promise<ClusterStatus> {
  const procs = new Map(s.processes.map((p) => [p.name, p]));
  const nsLabels = namespaceLabels(s.objects, s.pods);
  const components = await Promise.all(
    s.components.map((c) => componentHealth(s.paths, c, procs.get(c.name), s.layout, s.notes.get(c.name))),
  );
  const waypoints = await waypointStatuses(s.pods, s.services, s.waypoints, (c) =>
    componentHealth(s.paths, c, procs.get(c.name), s.layout, s.notes.get(c.name)),
  );
  const pods: PodStatus[] = s.pods.map((p) => {
    const containers = p.containers.map((c) => {
      const st = procs.get(podProcessName(p, c.name));
      return {
        name: c.name,
        state: st?.state ?? "stopped",
        ...(st?.pid !== undefined ? { pid: st.pid } : {}),
      };
    });
    const restarts = p.containers.reduce(
      (n, c) => n + (procs.get(podProcessName(p, c.name))?.restarts ?? 0),
      0,
    );
    const phase = containers.every((c) => c.state === "running")
      ? "Running"
      : containers.some((c) => c.state === "backoff")
        ? "CrashLoopBackOff"
        : p.waypoint !== undefined && !procs.has(podProcessName(p, "waypoint"))
          ? "Pending" // its main is not available: nothing was started
          : "Failed";
    return {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      node: p.node,
      ip: p.ip,
      netns: p.netns,
      phase,
      mesh: podWantsMesh(p, nsLabels) ? "ambient" : "none",
      enrolled: enrolment(s.paths, p),
      restarts,
      containers,
    };
  });
  return {
    cluster: { id: s.layout.id, prefix: s.layout.prefix, stateDir: s.paths.root, daemonPid: process.pid },
    nodes: s.layout.nodes.map((n) => ({
      name: n.name,
      ip: n.ip,
      podCidr: n.podCidr,
      netns: n.netns,
      pods: s.pods.filter((p) => p.node === n.name).length,
    })),
    controlPlane: { netns: s.layout.cpNetns, address: `${s.layout.cpIp}:${Ports.controlPlane}` },
    components,
    pods,
    waypoints,
    services: s.services.map((svc) => ({
      name: svc.name,
      namespace: svc.namespace,
      vip: svc.vip === "" ? "None" : svc.vip,
      ports: svc.ports.map((p) => `${p.port}/${p.protocol}`).join(","),
      endpoints: new Set(
        serviceEndpoints(svc, s.pods)
          .flat()
          .map((e) => e.ip),
      ).size,
    })),
  };
}
