import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { serviceVips } from "../model/index-services.js";
import type { MeshConfig } from "../model/mesh-config.js";
import type { ServiceObject } from "../sources/config-object.js";
import { ipBytes } from "./ip-bytes.js";

/** Comma-separated extra SANs a server for this service may present (our annotation; Istio has none). */
export const SUBJECT_ALT_NAMES_ANNOTATION = "ambit.dev/subject-alt-names";

/** `<name>.<ns>.svc.<domainSuffix>`. */
export function serviceHostname(svc: ServiceObject, mesh: MeshConfig): string {
  return `${svc.metadata.name}.${svc.metadata.namespace}.svc.${mesh.domainSuffix}`;
}

/** Only TCP ports are meshed: ztunnel carries TCP only. */
export function tcpPorts(svc: ServiceObject): ServiceObject["spec"]["ports"] {
  return svc.spec.ports.filter((p) => (p.protocol ?? "TCP") === "TCP");
}

/**
 * `appProtocol`, else the port-name prefix before `-` (Istio's protocol selection):
 * http → HTTP11; http2, h2c, kubernetes.io/h2c → HTTP2; grpc → GRPC; tcp → TCP; tls, https → TLS.
 */
export function appProtocol(port: { name?: string | undefined; appProtocol?: string | undefined }) {
  const A = pb.workload.AppProtocol;
  const raw = (port.appProtocol ?? port.name?.split("-")[0] ?? "").toLowerCase();
  switch (raw) {
    case "http":
      return A.HTTP11;
    case "http2":
    case "h2c":
    case "kubernetes.io/h2c":
      return A.HTTP2;
    case "grpc":
      return A.GRPC;
    case "tcp":
      return A.TCP;
    case "tls":
    case "https":
      return A.TLS;
    default:
      return A.UNKNOWN;
  }
}

/**
 * Service → `istio.workload.Service`. A named targetPort is sent as 0 (resolved per workload).
 * `waypoint` is the resolved `istio.io/use-waypoint` binding (see waypoint-address.ts), if any.
 */
export function serviceToPb(
  svc: ServiceObject,
  mesh: MeshConfig,
  waypoint?: pb.workload.GatewayAddress,
): pb.workload.Service {
  const vips = serviceVips(svc);
  const fams = new Set(svc.spec.ipFamilies ?? vips.map((v) => (v.includes(":") ? "IPv6" : "IPv4")));
  const F = pb.workload.IPFamilies;
  const ipFamilies =
    fams.size === 2 ? F.DUAL : fams.has("IPv4") ? F.IPV4_ONLY : fams.has("IPv6") ? F.IPV6_ONLY : F.AUTOMATIC;
  const sans = (svc.metadata.annotations[SUBJECT_ALT_NAMES_ANNOTATION] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return create(pb.workload.ServiceSchema, {
    name: svc.metadata.name,
    namespace: svc.metadata.namespace,
    hostname: serviceHostname(svc, mesh),
    addresses: vips.map((ip) =>
      create(pb.workload.NetworkAddressSchema, { network: mesh.network, address: ipBytes(ip) as Uint8Array }),
    ),
    ports: tcpPorts(svc).map((p) =>
      create(pb.workload.PortSchema, {
        servicePort: p.port,
        targetPort: typeof p.targetPort === "string" ? 0 : (p.targetPort ?? p.port),
        appProtocol: appProtocol(p),
      }),
    ),
    subjectAltNames: sans,
    ipFamilies,
    ...(waypoint ? { waypoint } : {}),
  });
}
