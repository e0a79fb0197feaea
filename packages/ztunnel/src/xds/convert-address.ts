import type {
  AppProtocol,
  GatewayAddress,
  HealthPolicy,
  LoadBalancingMode,
  Service,
  ServicePort,
  TunnelProtocol,
  Workload,
  WorkloadStatus,
  WorkloadType,
} from "@ambit/api";
import { DEFAULT_TRUST_DOMAIN, makeIdentity } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { errorMessage } from "@ambit/core";
import { ipFromBytes } from "../state/ip-bytes.js";

/** Conversion result: the domain value, or why the resource is rejected (for the NACK). */
export type Converted<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

class Invalid extends Error {}
const fail = (reason: string): never => {
  throw new Invalid(reason);
};

function ip(bytes: Uint8Array, what: string): string {
  return ipFromBytes(bytes) ?? fail(`${what}: address must be 4 or 16 bytes, got ${bytes.length}`);
}

function port(n: number, what: string): number {
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fail(`${what}: port ${n} out of range`);
}

const APP_PROTOCOLS: Record<number, AppProtocol> = {
  [pb.workload.AppProtocol.UNKNOWN]: "unknown",
  [pb.workload.AppProtocol.HTTP11]: "http11",
  [pb.workload.AppProtocol.HTTP2]: "http2",
  [pb.workload.AppProtocol.GRPC]: "grpc",
  [pb.workload.AppProtocol.TCP]: "tcp",
  [pb.workload.AppProtocol.TLS]: "tls",
};

function enumOf<T>(table: Record<number, T>, v: number, what: string): T {
  return table[v] ?? fail(`${what}: unknown value ${v}`);
}

function portsOf(list: readonly pb.workload.Port[], what: string): ServicePort[] {
  return list.map((p) => ({
    servicePort: port(p.servicePort, what),
    targetPort: port(p.targetPort, what),
    appProtocol: enumOf(APP_PROTOCOLS, p.appProtocol, `${what} app_protocol`),
  }));
}

function gatewayOf(g: pb.workload.GatewayAddress | undefined, what: string): GatewayAddress | undefined {
  if (!g) return undefined;
  const hboneMtlsPort = port(g.hboneMtlsPort, what);
  switch (g.destination.case) {
    case "address":
      return {
        kind: "address",
        network: g.destination.value.network,
        ip: ip(g.destination.value.address, what),
        hboneMtlsPort,
      };
    case "hostname":
      if (!g.destination.value.hostname) fail(`${what}: empty hostname`);
      return {
        kind: "hostname",
        namespace: g.destination.value.namespace,
        hostname: g.destination.value.hostname,
        hboneMtlsPort,
      };
    default:
      return fail(`${what}: no destination`);
  }
}

const TUNNELS: Record<number, TunnelProtocol> = {
  [pb.workload.TunnelProtocol.NONE]: "none",
  [pb.workload.TunnelProtocol.HBONE]: "hbone",
};
const STATUSES: Record<number, WorkloadStatus> = {
  [pb.workload.WorkloadStatus.HEALTHY]: "healthy",
  [pb.workload.WorkloadStatus.UNHEALTHY]: "unhealthy",
};
const TYPES: Record<number, WorkloadType> = {
  [pb.workload.WorkloadType.DEPLOYMENT]: "deployment",
  [pb.workload.WorkloadType.CRONJOB]: "cronjob",
  [pb.workload.WorkloadType.POD]: "pod",
  [pb.workload.WorkloadType.JOB]: "job",
};

/** `istio.workload.Workload` → {@link Workload}, with Istio's defaults and ztunnel's rejections. */
export function workloadFromPb(w: pb.workload.Workload): Converted<Workload> {
  try {
    if (!w.uid) fail("workload: empty uid");
    if (w.tunnelProtocol === pb.workload.TunnelProtocol.LEGACY_ISTIO_MTLS) {
      fail("workload: tunnel protocol LEGACY_ISTIO_MTLS is not supported");
    }
    let identity: Workload["identity"];
    try {
      identity = makeIdentity(
        w.namespace,
        w.serviceAccount || "default",
        w.trustDomain || DEFAULT_TRUST_DOMAIN,
      );
    } catch (e) {
      return fail(`workload identity: ${errorMessage(e)}`);
    }
    const services = new Map<string, ServicePort[]>();
    for (const [key, list] of Object.entries(w.services)) {
      if (!key.includes("/")) fail(`workload services: key ${JSON.stringify(key)} is not ns/hostname`);
      services.set(key, portsOf(list.ports, `workload services[${key}]`));
    }
    const value: Workload = {
      uid: w.uid,
      name: w.name,
      namespace: w.namespace,
      addresses: w.addresses.map((a) => ip(a, "workload addresses")),
      hostname: w.hostname,
      network: w.network,
      tunnelProtocol: enumOf(TUNNELS, w.tunnelProtocol, "workload tunnel_protocol"),
      identity,
      waypoint: gatewayOf(w.waypoint, "workload waypoint"),
      networkGateway: gatewayOf(w.networkGateway, "workload network_gateway"),
      node: w.node,
      canonicalName: w.canonicalName,
      canonicalRevision: w.canonicalRevision,
      workloadType: enumOf(TYPES, w.workloadType, "workload workload_type"),
      workloadName: w.workloadName,
      nativeTunnel: w.nativeTunnel,
      services,
      authorizationPolicies: [...w.authorizationPolicies],
      status: enumOf(STATUSES, w.status, "workload status"),
      clusterId: w.clusterId || "Kubernetes",
      locality: {
        region: w.locality?.region ?? "",
        zone: w.locality?.zone ?? "",
        subzone: w.locality?.subzone ?? "",
      },
      capacity: w.capacity ?? 1,
      networkMode: w.networkMode === pb.workload.NetworkMode.HOST_NETWORK ? "host_network" : "standard",
    };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

const LB_MODES: Record<number, LoadBalancingMode> = {
  [pb.workload.LoadBalancing_Mode.UNSPECIFIED_MODE]: "unspecified",
  [pb.workload.LoadBalancing_Mode.STRICT]: "strict",
  [pb.workload.LoadBalancing_Mode.FAILOVER]: "failover",
  [pb.workload.LoadBalancing_Mode.PASSTHROUGH]: "passthrough",
};
const HEALTH: Record<number, HealthPolicy> = {
  [pb.workload.LoadBalancing_HealthPolicy.ONLY_HEALTHY]: "only_healthy",
  [pb.workload.LoadBalancing_HealthPolicy.ALLOW_ALL]: "allow_all",
};

/** `istio.workload.Service` → {@link Service}. */
export function serviceFromPb(s: pb.workload.Service): Converted<Service> {
  try {
    if (!s.namespace || !s.hostname) fail("service: namespace and hostname are required");
    const value: Service = {
      name: s.name,
      namespace: s.namespace,
      hostname: s.hostname,
      addresses: s.addresses.map((a) => ({ network: a.network, ip: ip(a.address, "service addresses") })),
      ports: portsOf(s.ports, "service ports"),
      subjectAltNames: [...s.subjectAltNames],
      waypoint: gatewayOf(s.waypoint, "service waypoint"),
      loadBalancing: s.loadBalancing
        ? {
            mode: enumOf(LB_MODES, s.loadBalancing.mode, "service load_balancing mode"),
            healthPolicy: enumOf(
              HEALTH,
              s.loadBalancing.healthPolicy,
              "service load_balancing health_policy",
            ),
          }
        : undefined,
    };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

/** One Address resource: a workload (keyed by uid) or a service (keyed by `ns/hostname`). */
export type AddressValue =
  | { readonly kind: "workload"; readonly workload: Workload }
  | { readonly kind: "service"; readonly service: Service };

/** `istio.workload.Address` → workload or service, checking the resource name is its key. */
export function addressFromPb(name: string, a: pb.workload.Address): Converted<AddressValue> {
  switch (a.type.case) {
    case "workload": {
      const r = workloadFromPb(a.type.value);
      if (!r.ok) return r;
      if (r.value.uid !== name)
        return { ok: false, reason: `resource name does not match workload uid ${r.value.uid}` };
      return { ok: true, value: { kind: "workload", workload: r.value } };
    }
    case "service": {
      const r = serviceFromPb(a.type.value);
      if (!r.ok) return r;
      const key = `${r.value.namespace}/${r.value.hostname}`;
      if (key !== name) return { ok: false, reason: `resource name does not match service key ${key}` };
      return { ok: true, value: { kind: "service", service: r.value } };
    }
    default:
      return { ok: false, reason: "address has neither workload nor service" };
  }
}
