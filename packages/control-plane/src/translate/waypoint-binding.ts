import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject, ServiceObject } from "../sources/config-object.js";

/** GatewayClass that makes a Gateway a waypoint (Istio's `istio-waypoint`). */
export const WAYPOINT_GATEWAY_CLASS = "istio-waypoint";
/** Enrolment label on Namespace/Service/Pod: the waypoint's name, or `none` to opt out. */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
/** Namespace of a cross-namespace waypoint (beside {@link USE_WAYPOINT_LABEL}). */
export const USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";
/** On the Gateway: which traffic it takes (`service` by default). */
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";

export type WaypointFor = "service" | "workload" | "all" | "none";

/** True for a Gateway of class `istio-waypoint`. */
export function isWaypointGateway(gw: GatewayObject): boolean {
  return gw.spec.gatewayClassName === WAYPOINT_GATEWAY_CLASS;
}

/** `istio.io/waypoint-for` with Istio's default; unknown values read as `service`. */
export function waypointFor(gw: GatewayObject): WaypointFor {
  const v = gw.metadata.labels[WAYPOINT_FOR_LABEL];
  return v === "workload" || v === "all" || v === "none" ? v : "service";
}

/** `ns/name` of a waypoint reference, or undefined when there is none (or `none`). */
export interface WaypointRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Which waypoint a Service uses: the Service's own label wins over its Namespace's (`none` on the
 * Service opts out even when the namespace is enrolled). The reference is returned whether or not
 * such a Gateway exists; {@link servedServices} checks that.
 */
export function serviceWaypointRef(s: ConfigSnapshot, svc: ServiceObject): WaypointRef | undefined {
  const own = svc.metadata.labels;
  const nsLabels = s.namespaces.get(svc.metadata.namespace)?.metadata.labels ?? {};
  const labels = own[USE_WAYPOINT_LABEL] !== undefined ? own : nsLabels;
  const name = labels[USE_WAYPOINT_LABEL];
  if (name === undefined || name === "" || name === "none") return undefined;
  return { name, namespace: labels[USE_WAYPOINT_NAMESPACE_LABEL] ?? svc.metadata.namespace };
}

/**
 * Services whose traffic a waypoint Gateway receives, sorted by `ns/name`. Empty when the
 * Gateway does not take service traffic (`waypoint-for: workload|none`).
 */
export function servedServices(s: ConfigSnapshot, gw: GatewayObject): ServiceObject[] {
  const mode = waypointFor(gw);
  if (mode !== "service" && mode !== "all") return [];
  const out: ServiceObject[] = [];
  for (const svc of s.services.values()) {
    const ref = serviceWaypointRef(s, svc);
    if (ref && ref.name === gw.metadata.name && ref.namespace === gw.metadata.namespace) out.push(svc);
  }
  return out;
}
