import type { Identity, Service, Workload } from "@ambit/api";
import type { WorkloadCertificate } from "@ambit/core";
import type { AddressLookup, Endpoint, WorkloadPolicies } from "../state/index.js";

/**
 * What the proxy reads from the mesh state. A structural subset of `ProxyStateView`, kept small so
 * decisions can be table-tested against a literal and the proxy never sees how state is stored.
 */
export interface ProxyLookup {
  findAddress(network: string, ip: string): AddressLookup | undefined;
  findWorkloadByAddress(network: string, ip: string): Workload | undefined;
  findServiceByVip(network: string, ip: string): Service | undefined;
  findServiceByHostname(namespace: string, hostname: string): Service | undefined;
  findEndpoints(serviceKey: string): Endpoint[];
  findPoliciesForWorkload(workload: Workload): WorkloadPolicies;
}

/** Workload certificates (the SecretManager satisfies it). */
export interface CertProvider {
  fetchCertificate(identity: Identity): Promise<Pick<WorkloadCertificate, "secureContext" | "identity">>;
  findCertificate(identity: Identity): Pick<WorkloadCertificate, "secureContext" | "identity"> | undefined;
}
