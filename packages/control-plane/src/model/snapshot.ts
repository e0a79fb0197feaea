import type { Identity } from "@ambit/api";
import type {
  AuthorizationPolicyObject,
  ConfigObject,
  GatewayObject,
  HTTPRouteObject,
  NamespaceObject,
  PeerAuthenticationObject,
  PodObject,
  RequestAuthenticationObject,
  ServiceObject,
  VirtualServiceObject,
} from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { indexServicesForPods, indexVips } from "./index-services.js";
import { type MeshConfig, meshConfig } from "./mesh-config.js";
import { isTerminal, nsName, podIps, podServiceAccount } from "./pod-facts.js";

/**
 * The immutable, indexed view of all config at one instant (Istio's PushContext without the
 * locks). Built whole from a source's object list, frozen, then only read: generators, the CA and
 * status queries may hold on to it freely. Maps are keyed `ns/name` unless stated otherwise.
 */
export interface ConfigSnapshot {
  /** Monotonic per builder; 0 for snapshots built directly. */
  readonly version: number;
  readonly mesh: MeshConfig;
  readonly namespaces: ReadonlyMap<string, NamespaceObject>;
  /** Every pod, including finished ones. */
  readonly pods: ReadonlyMap<string, PodObject>;
  /** Live (non-terminal) pods by canonical IP; one winner per IP (see `duplicate_ip`). */
  readonly podsByIp: ReadonlyMap<string, PodObject>;
  readonly services: ReadonlyMap<string, ServiceObject>;
  /** Services by canonical cluster IP. */
  readonly servicesByVip: ReadonlyMap<string, ServiceObject>;
  readonly authorizationPolicies: ReadonlyMap<string, AuthorizationPolicyObject>;
  readonly peerAuthentications: ReadonlyMap<string, PeerAuthenticationObject>;
  readonly gateways: ReadonlyMap<string, GatewayObject>;
  readonly httpRoutes: ReadonlyMap<string, HTTPRouteObject>;
  readonly virtualServices: ReadonlyMap<string, VirtualServiceObject>;
  readonly requestAuthentications: ReadonlyMap<string, RequestAuthenticationObject>;
  /** Source issues plus the snapshot's own (duplicate IPs/VIPs). */
  readonly issues: readonly ConfigIssue[];
  /** Policies of one namespace, sorted by name. */
  authorizationPoliciesIn(namespace: string): readonly AuthorizationPolicyObject[];
  peerAuthenticationsIn(namespace: string): readonly PeerAuthenticationObject[];
  /** Services in the pod's namespace whose non-empty selector matches its labels, sorted by name. */
  servicesForPod(pod: PodObject): readonly ServiceObject[];
  /** Live pods whose `spec.nodeName` is `node`, sorted by `ns/name`. */
  workloadsOnNode(node: string): readonly PodObject[];
  /**
   * True when a live pod on `node` runs as `identity` (same trust domain, namespace and service
   * account). The CA signs a node's CSR for an identity only if this holds.
   */
  isIdentityOnNode(node: string, identity: Identity): boolean;
}

export interface BuildSnapshotOptions {
  readonly mesh?: Partial<MeshConfig>;
  readonly version?: number;
  readonly sourceIssues?: readonly ConfigIssue[];
}

const EMPTY: readonly never[] = Object.freeze([]);

/** Build and freeze a snapshot. Pure: same objects and options, same snapshot. */
export function buildSnapshot(
  objects: readonly ConfigObject[],
  opts: BuildSnapshotOptions = {},
): ConfigSnapshot {
  const mesh = meshConfig(opts.mesh);
  const namespaces = new Map<string, NamespaceObject>();
  const pods = new Map<string, PodObject>();
  const services = new Map<string, ServiceObject>();
  const aps = new Map<string, AuthorizationPolicyObject>();
  const pas = new Map<string, PeerAuthenticationObject>();
  const gateways = new Map<string, GatewayObject>();
  const routes = new Map<string, HTTPRouteObject>();
  const virtualServices = new Map<string, VirtualServiceObject>();
  const requestAuthns = new Map<string, RequestAuthenticationObject>();
  const sorted = [...objects].sort((a, b) => cmp(nsName(a), nsName(b)));
  for (const o of sorted) {
    switch (o.kind) {
      case "Namespace":
        namespaces.set(o.metadata.name, o);
        break;
      case "Pod":
        pods.set(nsName(o), o);
        break;
      case "Service":
        services.set(nsName(o), o);
        break;
      case "AuthorizationPolicy":
        aps.set(nsName(o), o);
        break;
      case "PeerAuthentication":
        pas.set(nsName(o), o);
        break;
      case "Gateway":
        gateways.set(nsName(o), o);
        break;
      case "HTTPRoute":
        routes.set(nsName(o), o);
        break;
      case "VirtualService":
        virtualServices.set(nsName(o), o);
        break;
      case "RequestAuthentication":
        requestAuthns.set(nsName(o), o);
        break;
    }
  }
  const issues: ConfigIssue[] = [...(opts.sourceIssues ?? [])];
  const live = [...pods.values()].filter((p) => !isTerminal(p));
  const podsByIp = indexPodIps(live, issues);
  const servicesByVip = indexVips(services.values(), issues);
  const servicesForPods = indexServicesForPods(services.values(), live);
  const byNode = groupBy(live, (p) => p.spec.nodeName ?? "");
  const identitiesByNode = new Map<string, Set<string>>();
  for (const [node, list] of byNode) {
    identitiesByNode.set(node, new Set(list.map((p) => `${p.metadata.namespace}/${podServiceAccount(p)}`)));
  }
  const apsByNs = groupBy(aps.values(), (p) => p.metadata.namespace);
  const pasByNs = groupBy(pas.values(), (p) => p.metadata.namespace);

  const snapshot: ConfigSnapshot = {
    version: opts.version ?? 0,
    mesh,
    namespaces,
    pods,
    podsByIp,
    services,
    servicesByVip,
    authorizationPolicies: aps,
    peerAuthentications: pas,
    gateways,
    httpRoutes: routes,
    virtualServices,
    requestAuthentications: requestAuthns,
    issues: Object.freeze(issues),
    authorizationPoliciesIn: (ns) => apsByNs.get(ns) ?? EMPTY,
    peerAuthenticationsIn: (ns) => pasByNs.get(ns) ?? EMPTY,
    servicesForPod: (pod) => servicesForPods.get(nsName(pod)) ?? EMPTY,
    workloadsOnNode: (node) => byNode.get(node) ?? EMPTY,
    isIdentityOnNode: (node, id) =>
      id.trustDomain === mesh.trustDomain &&
      (identitiesByNode.get(node)?.has(`${id.namespace}/${id.serviceAccount}`) ?? false),
  };
  return Object.freeze(snapshot);
}

function indexPodIps(live: readonly PodObject[], issues: ConfigIssue[]): Map<string, PodObject> {
  const byIp = new Map<string, PodObject>();
  for (const pod of live) {
    if (pod.spec.hostNetwork) continue; // host-network pods share the node's IP
    for (const ip of podIps(pod)) {
      const prev = byIp.get(ip);
      if (!prev) {
        byIp.set(ip, pod);
        continue;
      }
      // Prefer the Running pod, then the older one: the newcomer is the likelier stale record.
      const keepPrev = rank(prev) <= rank(pod);
      const [winner, loser] = keepPrev ? [prev, pod] : [pod, prev];
      byIp.set(ip, winner);
      issues.push({
        severity: "warning",
        code: "duplicate_ip",
        message: `duplicate pod IP: ${ip} is also used by ${nsName(winner)}, which keeps it`,
        origin: "snapshot",
        kind: "Pod",
        namespace: loser.metadata.namespace,
        name: loser.metadata.name,
        ...(loser.origin ? { location: loser.origin } : {}),
      });
    }
  }
  return byIp;
}

function rank(p: PodObject): string {
  return `${p.status.phase === "Running" ? 0 : 1}|${p.metadata.creationTimestamp ?? "~"}|${nsName(p)}`;
}

function groupBy<T>(items: Iterable<T>, key: (t: T) => string): Map<string, readonly T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  for (const l of out.values()) Object.freeze(l);
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
