import { serviceVips } from "../model/index-services.js";
import { isPodHealthy, nsName } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject } from "../sources/config-object.js";
import { servedWorkloads } from "../translate/waypoint-address.js";
import {
  GATEWAY_NAME_LABEL,
  hasHboneListener,
  isWaypointGateway,
  servedServices,
  type WaypointFor,
  waypointFor,
} from "../translate/waypoint-binding.js";
import { translateWaypoint } from "../translate/waypoint-generator.js";

/** A Gateway API status condition, as data (the status endpoint and the CLI print it). */
export interface GatewayCondition {
  readonly type: "Accepted" | "Programmed";
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/**
 * Status of one waypoint Gateway, the JSON shape of one entry of `GET /waypoints` (contract §3):
 * conditions, the traffic it takes (`for`), its address (the VIP ztunnels send to), the Services
 * bound to it, and which HTTPRoute rules were dropped.
 */
export interface WaypointStatus {
  readonly namespace: string;
  readonly name: string;
  readonly for: WaypointFor;
  /** VIP of Service `<gw>` in the Gateway's namespace; null until it has one (kept in the JSON). */
  readonly address: string | null;
  /** `ns/name` of the Services whose `istio.io/use-waypoint` names this waypoint. */
  readonly services: readonly string[];
  /** `ns/name` of the Pods whose own traffic this waypoint receives (`waypoint-for` workload|all). */
  readonly workloads: readonly string[];
  readonly conditions: readonly GatewayCondition[];
  readonly droppedRules: readonly { route: string; message: string }[];
}

const cond = (
  type: GatewayCondition["type"],
  status: GatewayCondition["status"],
  reason: string,
  message: string,
): GatewayCondition => ({ type, status, reason, message });

/**
 * Accepted: Istio's shape — a listener on 15008 with protocol HBONE (name `mesh` by convention).
 * Programmed (pure decision over the snapshot): the Service `<gw>` exists with a VIP and at least
 * one pod labelled `gateway.networking.k8s.io/gateway-name: <gw>` in the Gateway's namespace is
 * Running (and Ready when reported). Reasons: Invalid (not accepted), Pending (no Service yet, or
 * no running pod), AddressNotAssigned (Service without a cluster IP), Programmed.
 */
export function waypointConditions(s: ConfigSnapshot, gw: GatewayObject): GatewayCondition[] {
  const key = nsName(gw);
  if (!hasHboneListener(gw)) {
    return [
      cond(
        "Accepted",
        "False",
        "UnsupportedListeners",
        "a waypoint needs a listener with port 15008 and protocol HBONE",
      ),
      cond("Programmed", "False", "Invalid", "not accepted"),
    ];
  }
  const accepted = cond("Accepted", "True", "Accepted", "waypoint listener on 15008/HBONE");
  const svc = s.services.get(key);
  if (!svc) return [accepted, cond("Programmed", "False", "Pending", `Service ${key} does not exist yet`)];
  const vip = serviceVips(svc)[0];
  if (vip === undefined)
    return [accepted, cond("Programmed", "False", "AddressNotAssigned", `Service ${key} has no cluster IP`)];
  const pods = [...s.pods.values()].filter(
    (p) =>
      p.metadata.namespace === gw.metadata.namespace &&
      p.metadata.labels[GATEWAY_NAME_LABEL] === gw.metadata.name,
  );
  const running = pods.filter(isPodHealthy);
  if (running.length === 0) {
    const why = pods.length === 0 ? "no waypoint pod" : `no Running pod (${pods.length} not ready)`;
    return [
      accepted,
      cond("Programmed", "False", "Pending", `${why} with label ${GATEWAY_NAME_LABEL}=${gw.metadata.name}`),
    ];
  }
  return [
    accepted,
    cond("Programmed", "True", "Programmed", `address ${vip}, ${running.length} running pod(s)`),
  ];
}

/** Status of an `istio-waypoint` Gateway; undefined for other classes. Pure. */
export function waypointStatus(s: ConfigSnapshot, gw: GatewayObject): WaypointStatus | undefined {
  if (!isWaypointGateway(gw)) return undefined;
  const svc = s.services.get(nsName(gw));
  const { problems } = translateWaypoint(s, gw);
  return {
    namespace: gw.metadata.namespace,
    name: gw.metadata.name,
    for: waypointFor(gw),
    address: (svc ? serviceVips(svc)[0] : undefined) ?? null,
    services: servedServices(s, gw).map(nsName),
    workloads: servedWorkloads(s, gw).map(nsName),
    conditions: waypointConditions(s, gw),
    droppedRules: problems,
  };
}

/** Every waypoint's status, sorted by `ns/name`, optionally only one namespace (`GET /waypoints`). */
export function waypointStatuses(s: ConfigSnapshot, namespace?: string): WaypointStatus[] {
  const out: WaypointStatus[] = [];
  for (const gw of s.gateways.values()) {
    if (namespace !== undefined && gw.metadata.namespace !== namespace) continue;
    const st = waypointStatus(s, gw);
    if (st) out.push(st);
  }
  return out.sort((a, b) => {
    const ka = `${a.namespace}/${a.name}`;
    const kb = `${b.namespace}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
