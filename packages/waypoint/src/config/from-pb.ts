import { canonicalIp } from "@ambit/api";
import type * as pb from "@ambit/api/pb";
import { ConfigError } from "./config-error.js";
import type {
  Backend,
  HeaderMatcher,
  HeaderModifier,
  L7Policy,
  Listener,
  PathModifier,
  Route,
  RouteMatch,
  ServicePort,
  StringMatcher,
  WaypointState,
} from "./types.js";

/** Gateway API regexes match the whole value; anchor them once here. */
function compile(value: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${value})$`);
  } catch (e) {
    throw new ConfigError("invalid_regex", `invalid regex in ${where}: ${value}`, { cause: e });
  }
}

function matcher(m: pb.waypoint.StringMatch | undefined, where: string, dflt: StringMatcher): StringMatcher {
  if (!m) return dflt;
  switch (m.kind) {
    case 0:
      return { kind: "exact", value: m.value };
    case 1:
      return { kind: "prefix", value: m.value === "" ? "/" : m.value };
    case 2:
      return { kind: "regex", value: m.value, re: compile(m.value, where) };
    default:
      throw new ConfigError("invalid_config", `unknown string match kind in ${where}: ${m.kind}`);
  }
}

const ROOT: StringMatcher = Object.freeze({ kind: "prefix", value: "/" });
const ANY: StringMatcher = Object.freeze({ kind: "exact", value: "" });

function headers(list: readonly pb.waypoint.HeaderMatch[], where: string): HeaderMatcher[] {
  return list.map((h) => ({
    name: h.name.toLowerCase(),
    match: matcher(h.value, `${where} ${h.name}`, ANY),
  }));
}

function modifier(m: pb.waypoint.HeaderModifier | undefined): HeaderModifier | undefined {
  if (!m) return undefined;
  return {
    set: m.set.map((h) => [h.name.toLowerCase(), h.value] as const),
    add: m.add.map((h) => [h.name.toLowerCase(), h.value] as const),
    remove: m.remove.map((h) => h.toLowerCase()),
  };
}

function pathMod(p: pb.waypoint.PathModifier | undefined): PathModifier | undefined {
  return p ? { kind: p.kind === 1 ? "prefix" : "full", value: p.value } : undefined;
}

const MATCH_ALL: RouteMatch = Object.freeze({ path: ROOT, headers: [], query: [], method: undefined });

function route(r: pb.waypoint.Route): Route {
  const matches = r.matches.map(
    (m, i): RouteMatch => ({
      path: matcher(m.path, `${r.name} match ${i} path`, ROOT),
      headers: headers(m.headers, `${r.name} match ${i} header`),
      query: headers(m.queryParams, `${r.name} match ${i} query`),
      method: m.method === "" ? undefined : m.method.toUpperCase(),
    }),
  );
  return {
    name: r.name,
    hostnames: r.hostnames.map((h) => h.toLowerCase()),
    port: r.port,
    matches: matches.length > 0 ? matches : [MATCH_ALL],
    backends: r.backends.map((b) => ({
      hostname: b.hostname,
      port: b.port,
      weight: b.weight,
      requestHeaders: modifier(b.requestHeaders),
      responseHeaders: modifier(b.responseHeaders),
    })),
    requestHeaders: modifier(r.requestHeaders),
    responseHeaders: modifier(r.responseHeaders),
    redirect: r.redirect && {
      scheme: r.redirect.scheme || undefined,
      hostname: r.redirect.hostname || undefined,
      path: pathMod(r.redirect.path),
      port: r.redirect.port || undefined,
      statusCode: r.redirect.statusCode || 302,
    },
    rewrite: r.rewrite && { hostname: r.rewrite.hostname || undefined, path: pathMod(r.rewrite.path) },
    mirrors: r.mirrors.map((m) => ({ hostname: m.hostname, port: m.port, percent: m.percent })),
    requestTimeoutMs: r.timeouts?.requestMs ?? 0,
    backendTimeoutMs: r.timeouts?.backendRequestMs ?? 0,
    retry: r.retry && {
      attempts: r.retry.attempts,
      codes: new Set(r.retry.codes.length > 0 ? r.retry.codes : [502, 503, 504]),
      backoffMs: r.retry.backoffMs,
    },
    fault:
      r.fault && (r.fault.delayMs > 0 || r.fault.abortStatus > 0)
        ? {
            delayMs: r.fault.delayMs,
            delayPercent: r.fault.delayPercent,
            abortStatus: r.fault.abortStatus,
            abortPercent: r.fault.abortPercent,
          }
        : undefined,
  };
}

function ports(list: readonly pb.waypoint.ServicePort[]): ServicePort[] {
  return list.map((p) => ({
    port: p.port,
    targetPort: p.targetPort,
    name: p.name,
    appProtocol: p.appProtocol,
  }));
}

/**
 * Wire → domain, the one boundary (style rule 2): compiles regexes, applies defaults, indexes
 * listeners by VIP and hostname and backends by hostname. Throws {@link ConfigError} on anything
 * the request path could not evaluate, so a bad push is NACKed instead of half-applied.
 */
export function fromWaypointConfig(c: pb.waypoint.WaypointConfig): WaypointState {
  const listeners: Listener[] = c.listeners.map((l) => ({
    hostname: l.hostname.toLowerCase(),
    namespace: l.namespace,
    name: l.name,
    addresses: l.addresses.map((a) => canonicalIp(a) ?? a),
    ports: ports(l.ports),
    routes: l.routes.map(route),
  }));
  const listenerByKey = new Map<string, Listener>();
  for (const l of listeners) {
    listenerByKey.set(l.hostname, l);
    for (const a of l.addresses) listenerByKey.set(a, l);
  }
  const backends = new Map<string, Backend>();
  for (const b of c.backends) {
    backends.set(b.hostname, {
      hostname: b.hostname,
      namespace: b.namespace,
      name: b.name,
      ports: ports(b.ports),
      anyPort: b.anyPort,
      endpoints: b.endpoints.map((e) => ({
        address: canonicalIp(e.address) ?? e.address,
        identity: e.identity,
        workload: e.workload,
        ports: new Map(Object.entries(e.ports).map(([k, v]) => [Number(k), v])),
        app: e.app,
        version: e.version,
        workloadName: e.workloadName,
        canonicalName: e.canonicalName,
        canonicalRevision: e.canonicalRevision,
      })),
    });
  }
  const policies: L7Policy[] = c.policies.map((p) => ({
    name: p.name,
    action: p.action === 1 ? "DENY" : "ALLOW",
    services: p.services.map((s) => s.toLowerCase()),
    rules: p.rules.map((r) => ({
      from: r.from.map((f) => ({
        principals: f.principals,
        notPrincipals: f.notPrincipals,
        requestPrincipals: f.requestPrincipals,
        notRequestPrincipals: f.notRequestPrincipals,
        namespaces: f.namespaces,
        notNamespaces: f.notNamespaces,
      })),
      to: r.to.map((t) => ({
        hosts: t.hosts,
        notHosts: t.notHosts,
        methods: t.methods,
        notMethods: t.notMethods,
        paths: t.paths,
        notPaths: t.notPaths,
        ports: t.ports,
        notPorts: t.notPorts,
      })),
      when: r.when.map((w) => ({ key: w.key, values: w.values, notValues: w.notValues })),
    })),
  }));
  return {
    namespace: c.namespace,
    name: c.name,
    trustDomain: c.trustDomain || "cluster.local",
    clusterId: c.clusterId || "Kubernetes",
    listeners,
    listenerByKey,
    backends,
    policies,
    jwtRules: c.jwtRules.map((j) => ({
      name: j.name,
      issuer: j.issuer,
      audiences: j.audiences,
      jwks: j.jwks,
      jwksFile: j.jwksFile,
      services: j.services.map((s) => s.toLowerCase()),
      fromHeaders: j.fromHeaders.length > 0 ? j.fromHeaders.map((h) => h.toLowerCase()) : ["authorization"],
    })),
  };
}
