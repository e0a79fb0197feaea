import type { GatewayAddress, Identity, OrigDstAddr, ServerAddr, Service, Workload } from "@ambit/api";
import {
  formatSocketAddress,
  ILLEGAL_TARGET_PORTS,
  ipFamily,
  Ports,
  serverAddr,
  serviceKey,
  tryParseIdentity,
} from "@ambit/api";
import type { Endpoint } from "../state/index.js";
import type { ProxyLookup } from "./lookup.js";
import type { ProxyErrorCode } from "./proxy-error.js";

/**
 * The outbound plan for one captured connection (wire-spec §1.9): what goes on the wire and why.
 * Built by the pure {@link buildOutboundRequest}; carried out by the outbound executor.
 */
export type OutboundRequest =
  | {
      /** HTTP/2 CONNECT over mTLS to `nextHop` (a ztunnel's or waypoint's 15008). */
      readonly protocol: "hbone";
      readonly nextHop: ServerAddr;
      /** `:authority`: endpointIP:targetPort, or the original VIP:port / podIP:port via a waypoint. */
      readonly hboneTarget: string;
      /** Identities the server may present: service SANs ++ the workload (or waypoint) identity. */
      readonly upstreamSans: readonly Identity[];
      /** The workload that will terminate the tunnel (destination pod or waypoint pod). */
      readonly upstreamWorkload: Workload;
      /** The original destination's service, if it was a VIP (for `forwarded;host=` and metrics). */
      readonly service: Service | undefined;
      /** The destination workload behind the tunnel, when known (not for waypoint hops). */
      readonly destinationWorkload: Workload | undefined;
      readonly viaWaypoint: boolean;
      readonly reason: string;
    }
  | {
      /** Plain TCP: to a non-mesh endpoint, or passthrough of an unknown destination. */
      readonly protocol: "tcp";
      readonly nextHop: ServerAddr;
      readonly service: Service | undefined;
      readonly destinationWorkload: Workload | undefined;
      readonly reason: string;
    }
  | {
      /** Nothing is sent: the connection is closed, `code` says why. */
      readonly protocol: "refused";
      readonly code: ProxyErrorCode;
      readonly reason: string;
    };

/** Knobs of the decision; `pick` is injected so tests are deterministic. */
export interface OutboundOptions {
  /** Chooses one of `n` candidate endpoints (default: uniform random). */
  readonly pick?: (n: number) => number;
}

const randomPick = (n: number) => Math.floor(Math.random() * n);

function refused(code: ProxyErrorCode, reason: string): OutboundRequest {
  return { protocol: "refused", code, reason };
}

function sansOf(service: Service | undefined, workload: Workload): Identity[] {
  const out: Identity[] = [];
  for (const s of service?.subjectAltNames ?? []) {
    const id = tryParseIdentity(s);
    if (id) out.push(id);
  }
  out.push(workload.identity);
  return out;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

/** Healthy endpoints of a service on `network` (all of them if the service allows unhealthy). */
function candidates(lookup: ProxyLookup, svc: Service, network: string): Endpoint[] {
  const allowAll = svc.loadBalancing?.healthPolicy === "allow_all";
  return lookup
    .findEndpoints(serviceKey(svc))
    .filter((e) => e.workload.network === network && (allowAll || e.workload.status === "healthy"));
}

/** Target port of `servicePort` on an endpoint: endpoint ports first, then the service's ports. */
function targetPort(svc: Service, ep: Endpoint, servicePort: number): number | undefined {
  const fromEp = ep.ports.find((p) => p.servicePort === servicePort);
  if (fromEp && fromEp.targetPort > 0) return fromEp.targetPort;
  const fromSvc = svc.ports.find((p) => p.servicePort === servicePort);
  if (fromSvc) return fromSvc.targetPort > 0 ? fromSvc.targetPort : servicePort;
  return fromEp ? servicePort : undefined;
}

/** The IP of a workload in the family of `like` (keeps the caller's IP family). */
function ipLike(w: Workload, like: string): string | undefined {
  const fam = ipFamily(like);
  return w.addresses.find((a) => ipFamily(a) === fam) ?? w.addresses[0];
}

/** A waypoint resolved to the pod that will take the tunnel. */
interface WaypointHop {
  readonly workload: Workload;
  readonly service: Service | undefined;
  readonly port: number;
  readonly ip: string;
}

/** Resolve a GatewayAddress to one waypoint pod (by pod IP, or by VIP/hostname and its endpoints). */
function resolveWaypoint(
  lookup: ProxyLookup,
  gw: GatewayAddress,
  network: string,
  like: string,
  pick: (n: number) => number,
): WaypointHop | undefined {
  let svc: Service | undefined;
  if (gw.kind === "address") {
    const w = lookup.findWorkloadByAddress(gw.network, gw.ip);
    if (w) return { workload: w, service: undefined, port: gw.hboneMtlsPort, ip: gw.ip };
    svc = lookup.findServiceByVip(gw.network, gw.ip);
  } else {
    svc = lookup.findServiceByHostname(gw.namespace, gw.hostname);
  }
  if (!svc) return undefined;
  const eps = candidates(lookup, svc, network);
  const ep = eps[pick(eps.length)];
  if (!ep) return undefined;
  const ip = ipLike(ep.workload, like);
  return ip ? { workload: ep.workload, service: svc, port: gw.hboneMtlsPort, ip } : undefined;
}

/** Is `source` itself (one of the pods of) this waypoint? Then it must not loop to itself. */
function isWaypoint(lookup: ProxyLookup, source: Workload, gw: GatewayAddress): boolean {
  if (gw.kind === "address") {
    if (source.addresses.includes(gw.ip)) return true;
    const svc = lookup.findServiceByVip(gw.network, gw.ip);
    return svc !== undefined && source.services.has(serviceKey(svc));
  }
  return source.services.has(`${gw.namespace}/${gw.hostname}`);
}

function viaWaypoint(
  lookup: ProxyLookup,
  source: Workload,
  gw: GatewayAddress,
  dst: OrigDstAddr,
  service: Service | undefined,
  pick: (n: number) => number,
): OutboundRequest {
  const hop = resolveWaypoint(lookup, gw, source.network, dst.ip, pick);
  if (!hop)
    return refused(
      "unknown_waypoint",
      `waypoint for ${formatSocketAddress(dst)} not found or has no healthy pod`,
    );
  return {
    protocol: "hbone",
    nextHop: serverAddr(hop.ip, hop.port),
    hboneTarget: formatSocketAddress(dst),
    upstreamSans: sansOf(hop.service, hop.workload),
    upstreamWorkload: hop.workload,
    service,
    destinationWorkload: undefined,
    viaWaypoint: true,
    reason: `via waypoint ${hop.workload.namespace}/${hop.workload.name}`,
  };
}

function toWorkload(
  w: Workload,
  ip: string,
  port: number,
  service: Service | undefined,
  why: string,
): OutboundRequest {
  if (w.tunnelProtocol === "hbone") {
    return {
      protocol: "hbone",
      nextHop: serverAddr(ip, Ports.hbone),
      hboneTarget: formatSocketAddress({ ip, port }),
      upstreamSans: sansOf(service, w),
      upstreamWorkload: w,
      service,
      destinationWorkload: w,
      viaWaypoint: false,
      reason: `${why}: HBONE to ${w.namespace}/${w.name}`,
    };
  }
  return {
    protocol: "tcp",
    nextHop: serverAddr(ip, port),
    service,
    destinationWorkload: w,
    reason: `${why}: ${w.namespace}/${w.name} is not in the mesh (plain TCP)`,
  };
}

/**
 * Decide where a connection captured from `source` towards `dst` goes (ztunnel's `build_request`):
 * service VIP → waypoint or a healthy endpoint (service port → target port); pod IP → waypoint or
 * that workload; unknown IP → TCP passthrough; self-calls and services without endpoints refused.
 * Pure: reads `lookup` only.
 */
export function buildOutboundRequest(
  lookup: ProxyLookup,
  source: Workload,
  dst: OrigDstAddr,
  opts: OutboundOptions = {},
): OutboundRequest {
  const pick = opts.pick ?? randomPick;
  if (ILLEGAL_TARGET_PORTS.has(dst.port) && (isLoopback(dst.ip) || source.addresses.includes(dst.ip))) {
    return refused("self_call", `${formatSocketAddress(dst)} is a ztunnel port of this pod`);
  }
  const found = lookup.findAddress(source.network, dst.ip);
  if (!found) {
    return {
      protocol: "tcp",
      nextHop: serverAddr(dst.ip, dst.port),
      service: undefined,
      destinationWorkload: undefined,
      reason: "destination not in the mesh: passthrough",
    };
  }
  if (found.kind === "service") {
    const svc = found.service;
    if (svc.waypoint && !isWaypoint(lookup, source, svc.waypoint)) {
      return viaWaypoint(lookup, source, svc.waypoint, dst, svc, pick);
    }
    const eps = candidates(lookup, svc, source.network);
    if (eps.length === 0) {
      if (svc.loadBalancing?.mode === "passthrough") {
        return {
          protocol: "tcp",
          nextHop: serverAddr(dst.ip, dst.port),
          service: svc,
          destinationWorkload: undefined,
          reason: `service ${svc.hostname} has no endpoints; passthrough mode`,
        };
      }
      const other = lookup.findEndpoints(serviceKey(svc)).some((e) => e.workload.network !== source.network);
      return other
        ? refused("cross_network_unsupported", `service ${svc.hostname} has endpoints only on other networks`)
        : refused("no_healthy_upstream", `service ${svc.hostname} has no healthy endpoints`);
    }
    const ep = eps[pick(eps.length)] as Endpoint;
    const port = targetPort(svc, ep, dst.port);
    if (port === undefined)
      return refused("no_service_port", `service ${svc.hostname} has no port ${dst.port}`);
    const ip = ipLike(ep.workload, dst.ip);
    if (!ip) return refused("no_healthy_upstream", `endpoint ${ep.workload.name} has no address`);
    return toWorkload(ep.workload, ip, port, svc, `service ${svc.hostname}`);
  }
  const w = found.workload;
  if (w.waypoint && !isWaypoint(lookup, source, w.waypoint)) {
    return viaWaypoint(lookup, source, w.waypoint, dst, undefined, pick);
  }
  return toWorkload(w, dst.ip, dst.port, undefined, "pod IP");
}
