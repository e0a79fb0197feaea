import { Ports } from "@ambit/api";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject, PodObject, ServiceObject } from "../sources/config-object.js";

/** GatewayClass that makes a Gateway a waypoint (Istio's `istio-waypoint`). */
export const WAYPOINT_GATEWAY_CLASS = "istio-waypoint";
/** Enrolment label on Namespace/Service/Pod: the waypoint's name, or `none` to opt out. */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
/** Namespace of a cross-namespace waypoint (beside {@link USE_WAYPOINT_LABEL}). */
export const USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";
/** On the Gateway: which traffic it takes (`service` by default). */
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";

/** Label of a waypoint's own pods and Service (Gateway API's deployment label). */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

export type WaypointFor = "service" | "workload" | "all" | "none";

/** True for a Gateway of class `istio-waypoint`. */
export function isWaypointGateway(gw: GatewayObject): boolean {
  return gw.spec.gatewayClassName === WAYPOINT_GATEWAY_CLASS;
}

/**
 * The listener a waypoint Gateway must have to be Accepted (Istio's shape): port 15008, protocol
 * HBONE (named `mesh` by convention). Without it nothing is bound to the waypoint.
 */
export function hasHboneListener(gw: GatewayObject): boolean {
  return gw.spec.listeners.some((l) => l.port === Ports.hbone && l.protocol === "HBONE");
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
  /** Where the label was read: the object itself, or its Namespace (inherited). */
  readonly from: "object" | "namespace";
}

/** Own label wins over the Namespace's; `none` (or empty) opts out even in an enrolled namespace. */
function refFrom(
  s: ConfigSnapshot,
  o: { metadata: { namespace: string; labels: Readonly<Record<string, string>> } },
): WaypointRef | undefined {
  const own = o.metadata.labels;
  const nsLabels = s.namespaces.get(o.metadata.namespace)?.metadata.labels ?? {};
  const fromObject = own[USE_WAYPOINT_LABEL] !== undefined;
  const labels = fromObject ? own : nsLabels;
  const name = labels[USE_WAYPOINT_LABEL];
  if (name === undefined || name === "" || name === "none") return undefined;
  return {
    name,
    namespace: labels[USE_WAYPOINT_NAMESPACE_LABEL] || o.metadata.namespace,
    from: fromObject ? "object" : "namespace",
  };
}

/** A waypoint's own pod (it carries the Gateway name label): it never gets a waypoint itself. */
export function isWaypointPod(pod: PodObject): boolean {
  return pod.metadata.labels[GATEWAY_NAME_LABEL] !== undefined;
}

/**
 * A waypoint's own Service: named after a waypoint Gateway in its namespace, labelled with the
 * Gateway name, or selecting waypoint pods. It never gets a waypoint (that would loop).
 */
export function isWaypointService(s: ConfigSnapshot, svc: ServiceObject): boolean {
  if (svc.metadata.labels[GATEWAY_NAME_LABEL] !== undefined) return true;
  if (svc.spec.selector?.[GATEWAY_NAME_LABEL] !== undefined) return true;
  const gw = s.gateways.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
  return gw !== undefined && isWaypointGateway(gw);
}

/**
 * Which waypoint a Service uses: the Service's own label wins over its Namespace's (`none` on the
 * Service opts out even when the namespace is enrolled). The reference is returned whether or not
 * such a Gateway exists (see `resolveWaypoint`); waypoint Services themselves get none.
 */
export function serviceWaypointRef(s: ConfigSnapshot, svc: ServiceObject): WaypointRef | undefined {
  return isWaypointService(s, svc) ? undefined : refFrom(s, svc);
}

/** Which waypoint a Pod uses (Pod label, else Namespace label); waypoint pods get none. */
export function podWaypointRef(s: ConfigSnapshot, pod: PodObject): WaypointRef | undefined {
  return isWaypointPod(pod) ? undefined : refFrom(s, pod);
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
