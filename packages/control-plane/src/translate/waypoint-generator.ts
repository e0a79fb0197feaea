import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { serviceVips } from "../model/index-services.js";
import { isPodHealthy, isTerminal, nsName, podIps, podServiceAccount } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator, XdsResource } from "../model/xds-generator.js";
import type { GatewayObject, HTTPRouteObject, PodObject, ServiceObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { toXdsResource } from "./resource.js";
import { servedWorkloads } from "./waypoint-address.js";
import { isWaypointGateway, servedServices, waypointFor } from "./waypoint-binding.js";
import { convertHttpRoute, type RouteProblem } from "./waypoint-httproute.js";
import { waypointJwtRules } from "./waypoint-jwt.js";
import { convertL7Policy, policyTargets } from "./waypoint-policy.js";
import { virtualServiceRoutes } from "./waypoint-virtual-service.js";
import { canonicalNames, workloadKind } from "./workload-meta.js";

export const WAYPOINT_TYPE_URL = "type.googleapis.com/ambit.waypoint.WaypointConfig";

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Text app protocol of a service port: `appProtocol`, else the port-name prefix (Istio's rule). */
export function portProtocol(p: { name?: string | undefined; appProtocol?: string | undefined }): string {
  const raw = (p.appProtocol ?? p.name?.split("-")[0] ?? "").toLowerCase();
  if (raw === "http" || raw === "grpc" || raw === "tcp" || raw === "tls") return raw;
  if (raw === "http2" || raw === "h2c" || raw === "kubernetes.io/h2c") return "http2";
  if (raw === "https") return "tls";
  return "";
}

function servicePorts(svc: ServiceObject): pb.waypoint.ServicePort[] {
  return svc.spec.ports
    .filter((p) => (p.protocol ?? "TCP") === "TCP")
    .map((p) =>
      create(pb.waypoint.ServicePortSchema, {
        port: p.port,
        targetPort: typeof p.targetPort === "number" ? p.targetPort : p.targetPort === undefined ? p.port : 0,
        name: p.name ?? "",
        appProtocol: portProtocol(p),
      }),
    );
}

function endpointPort(pod: PodObject, p: ServiceObject["spec"]["ports"][number]): number | undefined {
  if (typeof p.targetPort === "number") return p.targetPort;
  if (p.targetPort === undefined) return p.port;
  for (const c of pod.spec.containers ?? []) {
    const hit = c.ports?.find((cp) => cp.name === p.targetPort);
    if (hit) return hit.containerPort;
  }
  return undefined;
}

/** An endpoint's telemetry fields: labels, and the workload and canonical names its Workload resource carries. */
function endpointMeta(pod: PodObject) {
  const workloadName = workloadKind(pod).name;
  const canonical = canonicalNames(pod, workloadName);
  return {
    app: pod.metadata.labels["app"] ?? "",
    version: pod.metadata.labels["version"] ?? "",
    workloadName,
    canonicalName: canonical.name,
    canonicalRevision: canonical.revision,
  };
}

function backendOf(s: ConfigSnapshot, svc: ServiceObject, host: string): pb.waypoint.Backend {
  const td = s.mesh.trustDomain;
  const endpoints: pb.waypoint.Endpoint[] = [];
  const pods = [...s.pods.values()]
    .filter((p) => !isTerminal(p) && isPodHealthy(p) && s.servicesForPod(p).includes(svc))
    .sort((a, b) => cmp(nsName(a), nsName(b)));
  for (const pod of pods) {
    const ports: Record<number, number> = {};
    for (const p of svc.spec.ports) {
      const ep = endpointPort(pod, p);
      if (ep !== undefined) ports[p.port] = ep;
    }
    for (const ip of podIps(pod)) {
      endpoints.push(
        create(pb.waypoint.EndpointSchema, {
          address: ip,
          identity: `spiffe://${td}/ns/${pod.metadata.namespace}/sa/${podServiceAccount(pod)}`,
          workload: nsName(pod),
          ports,
          ...endpointMeta(pod),
        }),
      );
    }
  }
  return create(pb.waypoint.BackendSchema, {
    hostname: host,
    namespace: svc.metadata.namespace,
    name: svc.metadata.name,
    ports: servicePorts(svc),
    endpoints,
  });
}

/** A pod's DNS name, `<ip-dashed>.<ns>.pod.<domain>`: the key of its workload listener and backend. */
function podHost(s: ConfigSnapshot, pod: PodObject): string {
  const ip = podIps(pod)[0] ?? "";
  return `${ip.replace(/[.:]/g, "-")}.${pod.metadata.namespace}.pod.${s.mesh.domainSuffix}`;
}

/**
 * The listener and backend of a workload the waypoint serves (see the proto's `Listener`): every
 * port, no routes (the default route leads to the backend of the same hostname), and the pod
 * itself as the one endpoint on the port the client asked for.
 */
function workloadParts(s: ConfigSnapshot, pod: PodObject) {
  const host = podHost(s, pod);
  const base = { hostname: host, namespace: pod.metadata.namespace, name: pod.metadata.name };
  const identity = `spiffe://${s.mesh.trustDomain}/ns/${pod.metadata.namespace}/sa/${podServiceAccount(pod)}`;
  return {
    listener: create(pb.waypoint.ListenerSchema, { ...base, addresses: podIps(pod), ports: [], routes: [] }),
    backend: create(pb.waypoint.BackendSchema, {
      ...base,
      ports: [],
      anyPort: true,
      endpoints: podIps(pod).map((address) =>
        create(pb.waypoint.EndpointSchema, {
          address,
          identity,
          workload: nsName(pod),
          ports: {},
          ...endpointMeta(pod),
        }),
      ),
    }),
  };
}

/** Gateway API tie-break order: oldest first, then `ns/name`. */
function routeOrder(a: HTTPRouteObject, b: HTTPRouteObject): number {
  const ta = a.metadata.creationTimestamp ?? "~";
  const tb = b.metadata.creationTimestamp ?? "~";
  return ta !== tb ? cmp(ta, tb) : cmp(nsName(a), nsName(b));
}

interface ParentRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
}

/** The result of translating one waypoint, with the rules that were dropped (for status). */
export interface WaypointTranslation {
  readonly config: pb.waypoint.WaypointConfig;
  /** HTTPRoute rules dropped as invalid. */
  readonly problems: readonly RouteProblem[];
  /** VirtualService / RequestAuthentication parts not applied (warnings naming those objects). */
  readonly issues: readonly ConfigIssue[];
}

/** Build the WaypointConfig of one `istio-waypoint` Gateway. Pure. */
export function translateWaypoint(s: ConfigSnapshot, gw: GatewayObject): WaypointTranslation {
  const hostOf = (svc: ServiceObject) =>
    `${svc.metadata.name}.${svc.metadata.namespace}.svc.${s.mesh.domainSuffix}`;
  const served = servedServices(s, gw);
  const servedByKey = new Map(served.map((svc) => [nsName(svc), svc]));
  const servicesByHost = new Map([...s.services.values()].map((svc) => [hostOf(svc), svc]));
  const problems: RouteProblem[] = [];
  const routesFor = new Map<string, pb.waypoint.Route[]>(served.map((svc) => [nsName(svc), []]));
  const routes = [...s.httpRoutes.values()].sort(routeOrder);
  for (const route of routes) {
    const ns = route.metadata.namespace;
    for (const raw of route.spec.parentRefs as readonly ParentRef[]) {
      const refNs = raw.namespace ?? ns;
      const kind = raw.kind ?? "Gateway";
      let targets: ServiceObject[] = [];
      if (kind === "Service" && (raw.group ?? "") === "") {
        const svc = servedByKey.get(`${refNs}/${raw.name}`);
        if (svc) targets = [svc];
      } else if (kind === "Gateway" && raw.name === gw.metadata.name && refNs === gw.metadata.namespace) {
        targets = served;
      }
      if (targets.length === 0) continue;
      const { routes: converted, problems: p } = convertHttpRoute(route, s.mesh, raw.port ?? 0);
      problems.push(...p);
      for (const t of targets) routesFor.get(nsName(t))?.push(...converted);
    }
  }
  const issues: ConfigIssue[] = [];
  const workloads = servedWorkloads(s, gw).map((pod) => workloadParts(s, pod));
  const listeners = served
    .map((svc) => {
      const own = routesFor.get(nsName(svc)) ?? [];
      // VirtualService routes only where no HTTPRoute attaches (see waypoint-virtual-service.ts).
      const vs = virtualServiceRoutes(s, svc, hostOf(svc), own.length > 0);
      issues.push(...vs.issues);
      return create(pb.waypoint.ListenerSchema, {
        hostname: hostOf(svc),
        namespace: svc.metadata.namespace,
        name: svc.metadata.name,
        addresses: serviceVips(svc),
        ports: servicePorts(svc),
        routes: own.length > 0 ? own : vs.routes,
      });
    })
    .concat(workloads.map((w) => w.listener))
    .sort((a, b) => cmp(a.hostname, b.hostname));
  // Workload hostnames match no Service here; their backends are added below.
  const needed = new Set(listeners.map((l) => l.hostname));
  for (const l of listeners) {
    for (const r of l.routes) {
      for (const b of r.backends) needed.add(b.hostname);
      for (const m of r.mirrors) needed.add(m.hostname);
    }
  }
  const backends: pb.waypoint.Backend[] = [];
  for (const host of [...needed].sort(cmp)) {
    const svc = servicesByHost.get(host);
    if (svc) backends.push(backendOf(s, svc, host));
  }
  backends.push(...workloads.map((w) => w.backend));
  backends.sort((a, b) => cmp(a.hostname, b.hostname));
  const policies: pb.waypoint.L7Policy[] = [];
  for (const ap of s.authorizationPolicies.values()) {
    const targets = policyTargets(ap, gw, servedByKey, hostOf);
    if (targets === undefined) continue;
    const p = convertL7Policy(ap, targets);
    if (p) policies.push(p);
  }
  policies.sort((a, b) => cmp(a.name, b.name));
  const jwt = waypointJwtRules(s, gw, servedByKey, hostOf);
  issues.push(...jwt.issues);
  const config = create(pb.waypoint.WaypointConfigSchema, {
    namespace: gw.metadata.namespace,
    name: gw.metadata.name,
    trustDomain: s.mesh.trustDomain,
    clusterId: s.mesh.clusterId,
    waypointFor: waypointFor(gw),
    listeners,
    backends,
    policies,
    jwtRules: jwt.rules,
  });
  return { config, problems, issues };
}

/**
 * One `WaypointConfig` per `istio-waypoint` Gateway, named `ns/name`. The waypoint subscribes to
 * its own name only; the content hash keeps unrelated snapshot changes from re-pushing it.
 */
export const waypointGenerator = {
  typeUrl: WAYPOINT_TYPE_URL,
  generate(s: ConfigSnapshot): ReadonlyMap<string, XdsResource> {
    const out = new Map<string, XdsResource>();
    const gws = [...s.gateways.values()].filter(isWaypointGateway).sort((a, b) => cmp(nsName(a), nsName(b)));
    for (const gw of gws) {
      const { config } = translateWaypoint(s, gw);
      const name = nsName(gw);
      out.set(name, toXdsResource(name, [], pb.waypoint.WaypointConfigSchema, config));
    }
    return out;
  },
} satisfies XdsGenerator<ConfigSnapshot>;
