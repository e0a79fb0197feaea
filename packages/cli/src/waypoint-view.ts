import { Ports } from "@ambit/api";
import {
  LocalError,
  WAYPOINT_FOR_LABEL,
  WAYPOINT_GATEWAY_CLASS,
  type WaypointPodStatus,
  waypointPodName,
} from "@ambit/local";
import { stringify } from "yaml";
import { formatTable } from "./format.js";

/** Values of `--for` (Istio's `istio.io/waypoint-for`). */
export const WAYPOINT_FOR = ["service", "workload", "all", "none"] as const;

/** What `ambit waypoint generate|apply` builds a Gateway from. */
export interface WaypointGatewayOptions {
  readonly name: string;
  readonly namespace: string;
  readonly for: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The waypoint Gateway istioctl's `waypoint generate` prints: class `istio-waypoint`, one `mesh`
 * listener on 15008/HBONE, `istio.io/waypoint-for` from `--for`. Bad names or `--for` values are
 * `invalid_argument` (usage errors). Pure.
 */
export function waypointGateway(o: WaypointGatewayOptions): Record<string, unknown> {
  for (const [flag, v] of [
    ["--name", o.name],
    ["-n", o.namespace],
  ] as const) {
    if (!DNS_LABEL.test(v) || v.length > 63)
      throw new LocalError("invalid_argument", `${flag} ${JSON.stringify(v)} is not a DNS label`);
  }
  if (waypointPodName(o.name).length > 63)
    throw new LocalError(
      "invalid_argument",
      `--name must be at most 54 characters (its pod is <name>-waypoint)`,
    );
  if (!(WAYPOINT_FOR as readonly string[]).includes(o.for))
    throw new LocalError("invalid_argument", `--for must be one of ${WAYPOINT_FOR.join(", ")}, not ${o.for}`);
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: o.name, namespace: o.namespace, labels: { [WAYPOINT_FOR_LABEL]: o.for } },
    spec: {
      gatewayClassName: WAYPOINT_GATEWAY_CLASS,
      listeners: [{ name: "mesh", port: Ports.hbone, protocol: "HBONE" }],
    },
  };
}

/** A Gateway API condition as the control plane reports it. */
export interface WaypointCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** One entry of the control plane's `GET /waypoints` (contract §3). */
export interface MeshWaypoint {
  readonly namespace: string;
  readonly name: string;
  readonly for: string;
  readonly address: string | null;
  readonly services: readonly string[];
  /** Pods whose own traffic the waypoint receives (`waypoint-for` workload|all). */
  readonly workloads: readonly string[];
  readonly conditions: readonly WaypointCondition[];
  readonly droppedRules: readonly { readonly route: string; readonly message: string }[];
}

type J = Record<string, unknown>;
const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : d);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Reads the `/waypoints` JSON (a list); throws `command_failed` on anything else. */
export function parseMeshWaypoints(body: string): MeshWaypoint[] {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new LocalError("command_failed", "the control plane's /waypoints answer is not JSON");
  }
  if (!Array.isArray(v))
    throw new LocalError("command_failed", "the control plane's /waypoints answer is not a list");
  return v.map((e: J) => ({
    namespace: str(e["namespace"]),
    name: str(e["name"]),
    for: str(e["for"] ?? e["waypointFor"], "service"),
    address: typeof e["address"] === "string" ? e["address"] : null,
    services: arr(e["services"]).map((s) => str(s)),
    workloads: arr(e["workloads"]).map((s) => str(s)),
    conditions: arr(e["conditions"]).map((c) => {
      const o = (c ?? {}) as J;
      return {
        type: str(o["type"]),
        status: str(o["status"]),
        reason: str(o["reason"]),
        message: str(o["message"]),
      };
    }),
    droppedRules: arr(e["droppedRules"]).map((d) => {
      const o = (d ?? {}) as J;
      return { route: str(o["route"]), message: str(o["message"]) };
    }),
  }));
}

/** One waypoint as `list`/`status` show it: the control plane's view merged with the local runtime's. */
export interface WaypointRow {
  readonly namespace: string;
  readonly name: string;
  /** From the control plane; "-" when it did not answer. */
  readonly for: string;
  /** The Service VIP (control plane's, else the runtime's); "-" without one. */
  readonly address: string;
  readonly services: readonly string[];
  readonly workloads: readonly string[];
  /** Empty when the control plane did not answer. */
  readonly conditions: readonly WaypointCondition[];
  readonly droppedRules: MeshWaypoint["droppedRules"];
  /** The waypoint pod and process in the local cluster; absent when it has none. */
  readonly local?: {
    readonly pod: string;
    readonly node: string;
    readonly ip: string;
    readonly process: string;
    readonly state: string;
    readonly health: string;
    readonly pid?: number;
    readonly restarts: number;
    readonly detail: string;
  };
}

/** Merges both views by `ns/name`, sorted; `mesh` undefined = the control plane did not answer. Pure. */
export function mergeWaypoints(
  mesh: readonly MeshWaypoint[] | undefined,
  local: readonly WaypointPodStatus[],
): WaypointRow[] {
  const keys = new Set([...(mesh ?? []), ...local].map((w) => `${w.namespace}/${w.name}`));
  return [...keys].sort().map((key) => {
    const m = mesh?.find((w) => `${w.namespace}/${w.name}` === key);
    const l = local.find((w) => `${w.namespace}/${w.name}` === key);
    const [namespace = "", name = ""] = key.split("/");
    return {
      namespace,
      name,
      for: m?.for ?? "-",
      address: m?.address ?? (l !== undefined && l.vip !== "" ? l.vip : "-"),
      services: m?.services ?? [],
      workloads: m?.workloads ?? [],
      conditions: m?.conditions ?? [],
      droppedRules: m?.droppedRules ?? [],
      ...(l !== undefined
        ? {
            local: {
              pod: l.pod,
              node: l.node,
              ip: l.ip,
              process: l.process,
              state: l.state,
              health: l.health,
              ...(l.pid !== undefined ? { pid: l.pid } : {}),
              restarts: l.restarts,
              detail: l.detail,
            },
          }
        : {}),
    };
  });
}

function condition(r: WaypointRow, type: string): string {
  return r.conditions.find((c) => c.type === type)?.status ?? "Unknown";
}

/** `ambit waypoint list` table. Pure. */
export function waypointListTable(rows: readonly WaypointRow[]): string {
  if (rows.length === 0) return "no waypoints found";
  return formatTable(
    ["NAMESPACE", "NAME", "FOR", "ADDRESS", "PROGRAMMED", "NODE", "POD IP", "PROCESS"],
    rows.map((r) => [
      r.namespace,
      r.name,
      r.for,
      r.address,
      condition(r, "Programmed"),
      r.local?.node ?? "-",
      r.local?.ip ?? "-",
      r.local !== undefined ? `${r.local.state} (${r.local.health})` : "no pod",
    ]),
  );
}

/** `ambit waypoint status`: the conditions table, then per waypoint its pod, process and bound services and workloads. Pure. */
export function waypointStatusText(rows: readonly WaypointRow[]): string {
  if (rows.length === 0) return "no waypoints found";
  const conditions = formatTable(
    ["NAMESPACE", "NAME", "TYPE", "STATUS", "REASON", "MESSAGE"],
    rows.flatMap((r) =>
      r.conditions.length === 0
        ? [[r.namespace, r.name, "-", "Unknown", "-", "no status from the control plane"]]
        : r.conditions.map((c) => [r.namespace, r.name, c.type, c.status, c.reason, c.message]),
    ),
  );
  const details = rows.map((r) => {
    const l = r.local;
    const lines = [
      `${r.namespace}/${r.name}: for ${r.for}, address ${r.address}`,
      l !== undefined
        ? `  pod ${l.pod} on ${l.node} at ${l.ip}; process ${l.process} ${l.state}` +
          `${l.pid !== undefined ? ` pid ${l.pid}` : ""}, ${l.health}, restarts ${l.restarts}` +
          `${l.detail !== "" ? ` (${l.detail})` : ""}`
        : "  no waypoint pod in the local cluster",
      `  services: ${r.services.length > 0 ? r.services.join(", ") : "(none bound)"}`,
      ...(r.workloads.length > 0 || r.for === "workload" || r.for === "all"
        ? [`  workloads: ${r.workloads.length > 0 ? r.workloads.join(", ") : "(none bound)"}`]
        : []),
      ...r.droppedRules.map((d) => `  dropped route rule: ${d.route}: ${d.message}`),
    ];
    return lines.join("\n");
  });
  return [conditions, "", ...details].join("\n");
}

/** `-o json|yaml` rendering of rows (tables are the default). */
export function waypointRowsOutput(rows: readonly WaypointRow[], output: "json" | "yaml"): string {
  return output === "json" ? `${JSON.stringify(rows, null, 2)}\n` : stringify(rows);
}

/** The Gateway as YAML (what `generate` prints). */
export function waypointGatewayYaml(o: WaypointGatewayOptions): string {
  return stringify(waypointGateway(o));
}
