import type { Identity } from "../identity.js";

/**
 * Domain model of a workload as the data plane sees it, converted from `istio.workload.Workload`
 * at the xDS boundary. Everything here is validated and defaulted; data-plane code never sees pb.
 */

export type TunnelProtocol = "none" | "hbone";
export type WorkloadStatus = "healthy" | "unhealthy";
export type WorkloadType = "deployment" | "cronjob" | "pod" | "job";
export type AppProtocol = "unknown" | "http11" | "http2" | "grpc" | "tcp" | "tls";

/** A service port and the port the workload actually listens on (0 = use per-endpoint ports). */
export interface ServicePort {
  readonly servicePort: number;
  readonly targetPort: number;
  readonly appProtocol: AppProtocol;
}

/** Where a waypoint (or network gateway) is: by address, or by service hostname. */
export type GatewayAddress =
  | {
      readonly kind: "address";
      readonly network: string;
      readonly ip: string;
      readonly hboneMtlsPort: number;
    }
  | {
      readonly kind: "hostname";
      readonly namespace: string;
      readonly hostname: string;
      readonly hboneMtlsPort: number;
    };

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subzone: string;
}

export interface Workload {
  /** Primary key, e.g. `Kubernetes//Pod/<ns>/<name>`. */
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  /** Canonical IP strings. */
  readonly addresses: readonly string[];
  readonly hostname: string;
  readonly network: string;
  readonly tunnelProtocol: TunnelProtocol;
  /** Derived from trust_domain / namespace / service_account with Istio's defaults. */
  readonly identity: Identity;
  readonly waypoint: GatewayAddress | undefined;
  readonly networkGateway: GatewayAddress | undefined;
  /** Node the workload runs on; a ztunnel serves only workloads whose node equals its own. */
  readonly node: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
  readonly workloadType: WorkloadType;
  readonly workloadName: string;
  readonly nativeTunnel: boolean;
  /** Keyed by `ns/hostname`: ports of this workload for that service. */
  readonly services: ReadonlyMap<string, readonly ServicePort[]>;
  /** `ns/name` of WORKLOAD_SELECTOR policies that select this workload. */
  readonly authorizationPolicies: readonly string[];
  readonly status: WorkloadStatus;
  readonly clusterId: string;
  readonly locality: Locality;
  readonly capacity: number;
  /** `host_network` workloads share the node's IP and are not indexed by address (wire-spec §3.7). Absent = standard. */
  readonly networkMode?: NetworkMode;
}

export type NetworkMode = "standard" | "host_network";
