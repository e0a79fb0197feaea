import { createHash } from "node:crypto";
import { Ports } from "@ambit/api";
import { LocalError } from "../local-error.js";
import {
  type AppliedObject,
  isPodObject,
  isServiceObject,
  objectKey,
  type ServiceObject,
} from "../manifest/manifest-types.js";
import type { DesiredPod } from "./pod-plan.js";

/** GatewayClass that makes a Gateway a waypoint (Istio's `istio-waypoint`). */
export const WAYPOINT_GATEWAY_CLASS = "istio-waypoint";
/** Label tying a waypoint's pod and Service to its Gateway (the Service selects on it). */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
/** On the Gateway: which traffic it takes (`service` when absent). */
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
/** Namespace/Service/Pod label naming the waypoint to use (`none` opts out). */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";

/** One waypoint the applied manifests ask for (a Gateway of class `istio-waypoint`). */
export interface WaypointSpec {
  /** `<namespace>/<gateway>`: the WaypointConfig resource name the waypoint subscribes to. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  /** `Gateway/<ns>/<name>` (the applied object that owns the pod and the Service). */
  readonly owner: string;
  /** `<gw>-waypoint`. */
  readonly podName: string;
  /** The Service `<gw>`, whose VIP Address resources point at. */
  readonly serviceName: string;
  /** `istio.io/waypoint-for` as written (`service` when absent). */
  readonly waypointFor: string;
}

/** Name of a waypoint's pod (the contract with the control plane and the waypoint main). */
export function waypointPodName(gateway: string): string {
  return `${gateway}-waypoint`;
}

/** The waypoint Gateways among the applied objects, sorted by key. Pure. */
export function desiredWaypoints(objects: readonly AppliedObject[]): WaypointSpec[] {
  const out: WaypointSpec[] = [];
  for (const a of objects) {
    if (a.obj.kind !== "Gateway") continue;
    const spec = a.raw["spec"] as { gatewayClassName?: unknown } | undefined;
    if (spec?.gatewayClassName !== WAYPOINT_GATEWAY_CLASS) continue;
    const { name, namespace, labels } = a.obj.meta;
    // The pod name must stay a DNS label (63 chars).
    if (waypointPodName(name).length > 63) {
      throw new LocalError(
        "invalid_manifest",
        `Gateway ${namespace}/${name}: a waypoint's name must be at most 54 characters (its pod is <name>-waypoint)`,
      );
    }
    out.push({
      key: `${namespace}/${name}`,
      name,
      namespace,
      owner: a.key,
      podName: waypointPodName(name),
      serviceName: name,
      waypointFor: labels[WAYPOINT_FOR_LABEL] ?? "service",
    });
  }
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** Labels on a waypoint's pod and Service: tied to the Gateway, never captured, never redirected to a waypoint. */
function waypointLabels(w: WaypointSpec): Record<string, string> {
  return { [GATEWAY_NAME_LABEL]: w.name, [DATAPLANE_MODE_LABEL]: "none", [USE_WAYPOINT_LABEL]: "none" };
}

/**
 * The Service `<gw>` of a waypoint: selects its pod, ports `mesh` 15008 and `status-port` 15021,
 * VIP from the service CIDR like any Service (ztunnels send HBONE to it). Labelled
 * `istio.io/use-waypoint: none` so an enrolled namespace never points the waypoint at itself.
 */
export function waypointServiceObject(w: WaypointSpec): AppliedObject {
  const labels = waypointLabels(w);
  const selector = { [GATEWAY_NAME_LABEL]: w.name };
  const ports = [
    { name: "mesh", port: Ports.hbone, protocol: "TCP" as const, targetPort: Ports.hbone },
    { name: "status-port", port: Ports.readiness, protocol: "TCP" as const, targetPort: Ports.readiness },
  ];
  const obj: ServiceObject = {
    kind: "Service",
    meta: { name: w.serviceName, namespace: w.namespace, labels, annotations: {} },
    selector,
    ports,
  };
  return {
    key: objectKey("Service", w.namespace, w.serviceName),
    obj,
    raw: {
      apiVersion: "v1",
      kind: "Service",
      // Copies: the raw document is YAML-rendered on its own (no shared objects, no YAML aliases).
      metadata: { name: w.serviceName, namespace: w.namespace, labels: { ...labels } },
      spec: { selector: { ...selector }, ports: ports.map((p) => ({ ...p })) },
    },
    sourceDir: "/",
  };
}

/**
 * The pod of a waypoint: service account `<gw>` (its SPIFFE identity), no user containers — its
 * one process is the waypoint main, started by the runtime — and a `waypoint` container entry
 * that only declares the ports (the published Pod shows them; named target ports resolve).
 * The spec hash depends on the Gateway's name only: relabelling the Gateway keeps the pod.
 */
export function waypointDesiredPod(w: WaypointSpec): DesiredPod {
  return {
    key: `${w.namespace}/${w.podName}`,
    name: w.podName,
    namespace: w.namespace,
    labels: waypointLabels(w),
    annotations: {},
    serviceAccount: w.name,
    containers: [
      {
        name: "waypoint",
        command: [],
        args: [],
        env: [],
        ports: [
          { name: "mesh", containerPort: Ports.hbone, protocol: "TCP" },
          { name: "metrics", containerPort: Ports.metrics, protocol: "TCP" },
          { name: "status-port", containerPort: Ports.readiness, protocol: "TCP" },
        ],
      },
    ],
    specHash: createHash("sha256")
      .update(JSON.stringify(["waypoint", w.key]))
      .digest("hex")
      .slice(0, 10),
    sourceDir: "/",
    owner: w.owner,
    waypoint: w.name,
  };
}

/** The desired state with every waypoint's Service and pod added. */
export interface WaypointExpansion {
  /** The applied objects plus one Service per waypoint (what Services and the config dir are planned from). */
  readonly objects: AppliedObject[];
  /** One pod per waypoint, sorted by key (placed after the workload pods of the same change). */
  readonly pods: DesiredPod[];
  readonly waypoints: WaypointSpec[];
}

/**
 * Adds what each waypoint Gateway brings (Service + pod). A user object already holding the
 * Service name `<gw>` or the pod name `<gw>-waypoint` in that namespace is refused
 * (`invalid_manifest`): silently replacing either would break someone's traffic. Pure.
 */
export function expandWaypoints(objects: readonly AppliedObject[]): WaypointExpansion {
  const waypoints = desiredWaypoints(objects);
  const services = new Set(
    objects.flatMap((a) => (isServiceObject(a.obj) ? [`${a.obj.meta.namespace}/${a.obj.meta.name}`] : [])),
  );
  const podOwners = new Map<string, string>();
  for (const a of objects)
    if (isPodObject(a.obj)) podOwners.set(`${a.obj.meta.namespace}/${a.obj.meta.name}`, a.key);
  for (const w of waypoints) {
    if (services.has(`${w.namespace}/${w.serviceName}`)) {
      throw new LocalError(
        "invalid_manifest",
        `${w.owner}: Service ${w.namespace}/${w.serviceName} already exists; a waypoint creates its own Service of that name`,
      );
    }
    const pod = podOwners.get(`${w.namespace}/${w.podName}`);
    if (pod !== undefined) {
      throw new LocalError(
        "invalid_manifest",
        `${w.owner}: ${pod} already uses the name of the waypoint's pod ${w.podName}`,
      );
    }
  }
  return {
    objects: [...objects, ...waypoints.map(waypointServiceObject)],
    pods: waypoints.map(waypointDesiredPod),
    waypoints,
  };
}
