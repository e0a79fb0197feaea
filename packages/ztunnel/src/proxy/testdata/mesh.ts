/** Test builders for proxy tests: workloads, services and a real ProxyState holding them. */
import type {
  AuthorizationPolicy,
  GatewayAddress,
  PolicyMatch,
  Service,
  ServicePort,
  Workload,
} from "@ambit/api";
import { makeIdentity } from "@ambit/api";
import { ProxyState } from "../../state/index.js";

export function wl(name: string, ip: string | string[], extra: Partial<Workload> = {}): Workload {
  const ns = extra.namespace ?? "default";
  return {
    uid: `Kubernetes//Pod/${ns}/${name}`,
    name,
    namespace: ns,
    addresses: Array.isArray(ip) ? ip : [ip],
    hostname: "",
    network: "",
    tunnelProtocol: "hbone",
    identity: makeIdentity(ns, name),
    waypoint: undefined,
    networkGateway: undefined,
    node: "node-1",
    canonicalName: name,
    canonicalRevision: "v1",
    workloadType: "deployment",
    workloadName: name,
    nativeTunnel: false,
    services: new Map(),
    authorizationPolicies: [],
    status: "healthy",
    clusterId: "Kubernetes",
    locality: { region: "", zone: "", subzone: "" },
    capacity: 1,
    ...extra,
  };
}

export function svc(hostname: string, vip: string | string[], extra: Partial<Service> = {}): Service {
  return {
    name: hostname.split(".")[0] ?? hostname,
    namespace: "default",
    hostname,
    addresses: (Array.isArray(vip) ? vip : [vip]).map((ip) => ({ network: "", ip })),
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: "http11" }],
    subjectAltNames: [],
    waypoint: undefined,
    loadBalancing: undefined,
    ...extra,
  };
}

/** Ports of a workload for one service. */
export function member(service: Service, ports: readonly ServicePort[] = service.ports): [string, readonly ServicePort[]] {
  return [`${service.namespace}/${service.hostname}`, ports];
}

export function waypointAt(ip: string): GatewayAddress {
  return { kind: "address", network: "", ip, hboneMtlsPort: 15008 };
}

export function stateOf(
  workloads: readonly Workload[],
  services: readonly Service[] = [],
  policies: readonly AuthorizationPolicy[] = [],
): ProxyState {
  const s = new ProxyState();
  s.applyAddress({ workloads, services, removed: [] });
  if (policies.length > 0) s.applyAuthorization({ policies, removed: [] });
  return s;
}

const EMPTY_MATCH: PolicyMatch = {
  namespaces: [],
  notNamespaces: [],
  serviceAccounts: [],
  notServiceAccounts: [],
  principals: [],
  notPrincipals: [],
  sourceIps: [],
  notSourceIps: [],
  destinationIps: [],
  notDestinationIps: [],
  destinationPorts: [],
  notDestinationPorts: [],
};

/** A one-rule, one-clause, one-match policy (namespace-scoped to `default`). */
export function policy(
  name: string,
  action: AuthorizationPolicy["action"],
  m: Partial<PolicyMatch>,
  scope: AuthorizationPolicy["scope"] = "namespace",
): AuthorizationPolicy {
  return {
    name,
    namespace: "default",
    scope,
    action,
    dryRun: false,
    rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, ...m }] }] }],
  };
}
