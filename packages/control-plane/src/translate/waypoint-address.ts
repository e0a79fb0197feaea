import { Ports } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { serviceVips } from "../model/index-services.js";
import { isTerminal, nsName, podIps } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject, PodObject, ServiceObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { ipBytes } from "./ip-bytes.js";
import {
  hasHboneListener,
  isWaypointGateway,
  podWaypointRef,
  serviceWaypointRef,
  WAYPOINT_GATEWAY_CLASS,
  type WaypointRef,
  waypointFor,
} from "./waypoint-binding.js";

/**
 * `istio.io/use-waypoint` → the `waypoint` field of Address resources. A Service (or Pod) is bound
 * when its effective reference names an `istio-waypoint` Gateway that takes its kind of traffic
 * (`waypoint-for` service|all for Services, workload|all for Pods), is Accepted (a 15008/HBONE
 * listener) and whose Service `<gw>` in the Gateway's namespace has a VIP. Anything short of that
 * leaves traffic on L4 and, unless the label was only inherited from a Namespace for a waypoint
 * that does not take this kind of traffic (an ordinary setup), is reported as a
 * `waypoint_unavailable` warning.
 */

/** Outcome of resolving one reference. `silent`: not bound, and nothing worth reporting. */
export type WaypointResolution =
  | { readonly t: "bound"; readonly gateway: GatewayObject; readonly vip: string }
  | { readonly t: "problem"; readonly ref: WaypointRef; readonly message: string }
  | { readonly t: "silent" };

const SILENT: WaypointResolution = Object.freeze({ t: "silent" });

/** Decide whether `ref` binds traffic of `kind` (pure; see the module comment for the rules). */
export function resolveWaypoint(
  s: ConfigSnapshot,
  ref: WaypointRef | undefined,
  kind: "service" | "workload",
): WaypointResolution {
  if (!ref) return SILENT;
  const key = `${ref.namespace}/${ref.name}`;
  const gw = s.gateways.get(key);
  if (!gw) return { t: "problem", ref, message: `waypoint Gateway ${key} does not exist` };
  if (!isWaypointGateway(gw)) {
    return {
      t: "problem",
      ref,
      message: `Gateway ${key} is of class ${gw.spec.gatewayClassName}, not ${WAYPOINT_GATEWAY_CLASS}`,
    };
  }
  if (!hasHboneListener(gw))
    return {
      t: "problem",
      ref,
      message: `waypoint ${key} is not accepted: it has no listener on port 15008 with protocol HBONE`,
    };
  const mode = waypointFor(gw);
  if (mode !== kind && mode !== "all") {
    if (ref.from === "namespace") return SILENT;
    return { t: "problem", ref, message: `waypoint ${key} is for ${mode} traffic, not ${kind} traffic` };
  }
  const svc = s.services.get(key);
  const vip = svc ? serviceVips(svc)[0] : undefined;
  if (vip === undefined) {
    const why = svc ? "has no cluster IP" : "does not exist";
    return { t: "problem", ref, message: `waypoint ${key} is not ready: its Service ${key} ${why}` };
  }
  return { t: "bound", gateway: gw, vip };
}

export function resolveServiceWaypoint(s: ConfigSnapshot, svc: ServiceObject): WaypointResolution {
  return resolveWaypoint(s, serviceWaypointRef(s, svc), "service");
}

export function resolvePodWaypoint(s: ConfigSnapshot, pod: PodObject): WaypointResolution {
  return resolveWaypoint(s, podWaypointRef(s, pod), "workload");
}

/**
 * Pods whose own traffic (`CONNECT <pod ip>:<port>`) waypoint `gw` receives: running pods with an
 * IP bound to it (`waypoint-for` workload|all), sorted by `ns/name`. The waypoint needs a listener
 * for each, or it would refuse what ztunnel sends it.
 */
export function servedWorkloads(s: ConfigSnapshot, gw: GatewayObject): PodObject[] {
  const mode = waypointFor(gw);
  if (mode !== "workload" && mode !== "all") return [];
  const key = nsName(gw);
  const out: PodObject[] = [];
  for (const pod of s.pods.values()) {
    if (isTerminal(pod) || podIps(pod).length === 0) continue;
    const r = resolvePodWaypoint(s, pod);
    if (r.t === "bound" && nsName(r.gateway) === key) out.push(pod);
  }
  return out.sort((a, b) => (nsName(a) < nsName(b) ? -1 : nsName(a) > nsName(b) ? 1 : 0));
}

/** `GatewayAddress{address: {network, vip}, hbone_mtls_port: 15008}`, or undefined when not bound. */
export function gatewayAddress(
  s: ConfigSnapshot,
  r: WaypointResolution,
): pb.workload.GatewayAddress | undefined {
  if (r.t !== "bound") return undefined;
  const address = create(pb.workload.NetworkAddressSchema, {
    network: s.mesh.network,
    address: ipBytes(r.vip) as Uint8Array,
  });
  return create(pb.workload.GatewayAddressSchema, {
    destination: { case: "address", value: address },
    hboneMtlsPort: Ports.hbone,
  });
}

/** Short memo key of a resolution (the address generator re-encodes when it changes). */
export function resolutionKey(r: WaypointResolution): string {
  return r.t === "bound" ? `${nsName(r.gateway)}@${r.vip}` : "";
}

/**
 * `waypoint_unavailable` warnings: one per Service/Pod whose own label fails, one per Namespace
 * (with a count) whose label fails for its members.
 */
export function waypointAddressIssues(s: ConfigSnapshot): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const byNamespace = new Map<string, { message: string; count: number }>();
  const report = (o: ServiceObject | PodObject, r: WaypointResolution): void => {
    if (r.t !== "problem") return;
    if (r.ref.from === "namespace") {
      const k = `${o.metadata.namespace}\u0000${r.message}`;
      const prev = byNamespace.get(k);
      byNamespace.set(k, { message: r.message, count: (prev?.count ?? 0) + 1 });
      return;
    }
    out.push({
      severity: "warning",
      code: "waypoint_unavailable",
      message: `${o.kind} not bound to a waypoint: ${r.message}; traffic stays on L4`,
      origin: "translate",
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      ...(o.origin ? { location: o.origin } : {}),
      path: "metadata.labels",
    });
  };
  for (const svc of s.services.values()) report(svc, resolveServiceWaypoint(s, svc));
  for (const pod of s.pods.values()) if (!isTerminal(pod)) report(pod, resolvePodWaypoint(s, pod));
  for (const [k, v] of byNamespace) {
    const ns = k.slice(0, k.indexOf("\u0000"));
    const nsObj = s.namespaces.get(ns);
    out.push({
      severity: "warning",
      code: "waypoint_unavailable",
      message: `${v.count} object(s) of namespace ${ns} not bound to a waypoint: ${v.message}; traffic stays on L4`,
      origin: "translate",
      kind: "Namespace",
      namespace: "",
      name: ns,
      ...(nsObj?.origin ? { location: nsObj.origin } : {}),
      path: "metadata.labels",
    });
  }
  return out;
}
