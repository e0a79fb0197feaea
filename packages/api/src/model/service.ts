import type { AppProtocol, GatewayAddress, ServicePort } from "./workload.js";

export type LoadBalancingMode = "unspecified" | "strict" | "failover" | "passthrough";
export type HealthPolicy = "only_healthy" | "allow_all";

/** Domain model of a Service, converted from `istio.workload.Service` at the xDS boundary. */
export interface Service {
  readonly name: string;
  readonly namespace: string;
  /** FQDN, e.g. `reviews.bookinfo.svc.cluster.local`. */
  readonly hostname: string;
  /** VIPs as `{network, ip}`; empty for headless services. */
  readonly addresses: readonly { readonly network: string; readonly ip: string }[];
  readonly ports: readonly ServicePort[];
  /** Extra identities a server for this service may present (SPIFFE URIs). */
  readonly subjectAltNames: readonly string[];
  readonly waypoint: GatewayAddress | undefined;
  readonly loadBalancing:
    | { readonly mode: LoadBalancingMode; readonly healthPolicy: HealthPolicy }
    | undefined;
}

/** Primary key of a service: `namespace/hostname`. */
export function serviceKey(s: Pick<Service, "namespace" | "hostname">): string {
  return `${s.namespace}/${s.hostname}`;
}

export type { AppProtocol };
