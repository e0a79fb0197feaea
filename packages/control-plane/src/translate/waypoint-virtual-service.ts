import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import type { MeshConfig } from "../model/mesh-config.js";
import { nsName } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { ServiceObject, VirtualServiceObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";

/**
 * VirtualService `http[]` → waypoint `Route`s with `fault` (mapping documented in
 * docs/architecture/waypoint.md). A VirtualService applies to a listener when one of its `hosts`
 * names the listener's service (short names resolve in the VirtualService's namespace, `*` and
 * `*.suffix` wildcards match) and `gateways` is empty or contains `mesh`. One VirtualService per
 * listener (the oldest); HTTPRoutes attached to the same service take precedence.
 */

type Http = VirtualServiceObject["spec"]["http"][number];
type Match = NonNullable<Http["match"]>[number];
type StringMatch = NonNullable<Match["uri"]>;

/** Fields of `http[]` that change where a request goes: a rule using one is dropped, not half-applied. */
const DROPPING_FIELDS = ["redirect", "directResponse", "delegate"] as const;
/** Fields accepted but not applied by the waypoint (reported). */
const IGNORED_FIELDS = ["rewrite", "timeout", "retries", "mirror", "mirrors", "headers", "corsPolicy"];
/** Match fields the waypoint cannot evaluate: the rule is dropped (reported). */
const UNSUPPORTED_MATCH = [
  "scheme",
  "authority",
  "sourceLabels",
  "gateways",
  "ignoreUriCase",
  "withoutHeaders",
  "sourceNamespace",
] as const;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Milliseconds of an Istio duration (`5s`, `0.25s`, `1m30s`, `250ms`; already validated). */
export function istioDurationMs(d: string): number {
  const pb = /^([0-9]+(?:\.[0-9]+)?)s$/.exec(d);
  if (pb) return Math.round(Number(pb[1]) * 1000);
  let ms = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
  }
  return ms;
}

/** `reviews` → `reviews.<vs ns>.svc.<suffix>`; names with a dot are taken as written. */
export function resolveHost(host: string, namespace: string, mesh: MeshConfig): string {
  const h = host.toLowerCase();
  return h.includes(".") || h === "*" ? h : `${h}.${namespace}.svc.${mesh.domainSuffix}`;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

function appliesToMesh(vs: VirtualServiceObject): boolean {
  const gws = vs.spec.gateways ?? [];
  return gws.length === 0 || gws.includes("mesh");
}

function byAge(a: VirtualServiceObject, b: VirtualServiceObject): number {
  const ta = a.metadata.creationTimestamp ?? "~";
  const tb = b.metadata.creationTimestamp ?? "~";
  return ta !== tb ? cmp(ta, tb) : cmp(nsName(a), nsName(b));
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Istio string match → waypoint StringMatch. Prefixes become regexes because Istio prefixes are
 * plain string prefixes (`/api` matches `/apiv2`) while the waypoint's PREFIX is Gateway API's
 * segment prefix; exact paths too, so that rules of one VirtualService share a precedence class
 * and keep their order (Istio evaluates `http[]` first-match).
 */
function stringMatch(m: StringMatch, exactAsRegex: boolean): pb.waypoint.StringMatch {
  const K = pb.waypoint.StringMatch_Kind;
  if (m.exact !== undefined) {
    return exactAsRegex
      ? create(pb.waypoint.StringMatchSchema, { kind: K.REGEX, value: escapeRe(m.exact) })
      : create(pb.waypoint.StringMatchSchema, { kind: K.EXACT, value: m.exact });
  }
  if (m.prefix !== undefined) {
    return create(pb.waypoint.StringMatchSchema, { kind: K.REGEX, value: `${escapeRe(m.prefix)}.*` });
  }
  return create(pb.waypoint.StringMatchSchema, { kind: K.REGEX, value: m.regex ?? "" });
}

const ANY_PATH = () =>
  create(pb.waypoint.StringMatchSchema, { kind: pb.waypoint.StringMatch_Kind.REGEX, value: ".*" });

function headerList(rec: Readonly<Record<string, StringMatch>> | undefined, lower: boolean) {
  return Object.keys(rec ?? {})
    .sort()
    .map((name) =>
      create(pb.waypoint.HeaderMatchSchema, {
        name: lower ? name.toLowerCase() : name,
        value: stringMatch((rec as Record<string, StringMatch>)[name] as StringMatch, false),
      }),
    );
}

/** One rule → Route, or a reason to drop it. `self` is the listener's service (the default destination). */
function convertRule(
  vs: VirtualServiceObject,
  http: Http,
  index: number,
  self: ServiceObject,
  mesh: MeshConfig,
  warn: (path: string, message: string) => void,
): pb.waypoint.Route | undefined {
  const where = `spec.http[${index}]`;
  const raw = http as Record<string, unknown>;
  const dropping = DROPPING_FIELDS.filter((f) => raw[f] !== undefined);
  if (dropping.length > 0) {
    warn(where, `rule dropped: ${dropping.join(", ")} not supported by the waypoint`);
    return undefined;
  }
  const matches = http.match ?? [];
  for (const [i, m] of matches.entries()) {
    const bad: string[] = UNSUPPORTED_MATCH.filter((f) => m[f] !== undefined);
    if (m.method && m.method.exact === undefined) bad.push("method (only exact)");
    if (bad.length > 0) {
      warn(`${where}.match[${i}]`, `rule dropped: match on ${bad.join(", ")} not supported by the waypoint`);
      return undefined;
    }
  }
  const ports = new Set(matches.map((m) => m.port ?? 0));
  if (ports.size > 1) {
    warn(`${where}.match`, "rule dropped: its matches name different ports");
    return undefined;
  }
  const ignored = IGNORED_FIELDS.filter((f) => raw[f] !== undefined);
  if (ignored.length > 0) warn(where, `ignored by the waypoint: ${ignored.join(", ")}`);
  const dests = http.route ?? [];
  dests.forEach((d, i) => {
    if (d.destination.subset !== undefined)
      warn(`${where}.route[${i}].destination.subset`, "subsets are not supported: the whole service is used");
  });
  const ns = vs.metadata.namespace;
  const backends =
    dests.length > 0
      ? dests.map((d) =>
          create(pb.waypoint.WeightedBackendSchema, {
            hostname: resolveHost(d.destination.host, ns, mesh),
            port: d.destination.port?.number ?? 0,
            weight: d.weight ?? (dests.length === 1 ? 100 : 0),
          }),
        )
      : [
          create(pb.waypoint.WeightedBackendSchema, {
            hostname: `${self.metadata.name}.${self.metadata.namespace}.svc.${mesh.domainSuffix}`,
            weight: 1,
          }),
        ];
  const f = http.fault;
  if (f?.delay && f.delay.percentage === undefined && f.delay.percent === undefined)
    warn(`${where}.fault.delay`, "no percentage: Istio delays no request");
  if (f?.abort && f.abort.percentage === undefined)
    warn(`${where}.fault.abort`, "no percentage: Istio aborts no request");
  return create(pb.waypoint.RouteSchema, {
    name: `${ns}/${vs.metadata.name}/${index}`,
    port: [...ports][0] ?? 0,
    matches: matches.map((m) =>
      create(pb.waypoint.RouteMatchSchema, {
        path: m.uri ? stringMatch(m.uri, true) : ANY_PATH(),
        headers: headerList(m.headers, true),
        queryParams: headerList(m.queryParams, false),
        method: m.method?.exact?.toUpperCase() ?? "",
      }),
    ),
    backends,
    ...(f && (f.delay || f.abort)
      ? {
          fault: create(pb.waypoint.FaultSchema, {
            delayMs: f.delay ? istioDurationMs(f.delay.fixedDelay) : 0,
            delayPercent: f.delay ? (f.delay.percentage?.value ?? f.delay.percent ?? 0) : 0,
            abortStatus: f.abort?.httpStatus ?? 0,
            abortPercent: f.abort?.percentage?.value ?? 0,
          }),
        }
      : {}),
  });
}

/** Routes a listener gets from VirtualServices, plus warnings naming the VirtualServices involved. */
export function virtualServiceRoutes(
  s: ConfigSnapshot,
  svc: ServiceObject,
  host: string,
  hasHttpRoutes: boolean,
): { routes: pb.waypoint.Route[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const warn = (vs: VirtualServiceObject, path: string | undefined, message: string) =>
    issues.push({
      severity: "warning",
      code: "unsupported_waypoint_config",
      message,
      origin: "translate",
      kind: "VirtualService",
      namespace: vs.metadata.namespace,
      name: vs.metadata.name,
      ...(vs.origin ? { location: vs.origin } : {}),
      ...(path ? { path } : {}),
    });
  const matching = [...s.virtualServices.values()]
    .filter((vs) => appliesToMesh(vs))
    .filter((vs) =>
      vs.spec.hosts.some((h) => hostMatches(resolveHost(h, vs.metadata.namespace, s.mesh), host)),
    )
    .sort(byAge);
  const [winner, ...others] = matching;
  if (!winner) return { routes: [], issues };
  if (hasHttpRoutes) {
    for (const vs of matching)
      warn(vs, "spec.hosts", `ignored for ${host}: HTTPRoutes attached to that service take precedence`);
    return { routes: [], issues };
  }
  for (const vs of others)
    warn(vs, "spec.hosts", `ignored for ${host}: VirtualService ${nsName(winner)} is older and applies`);
  const routes: pb.waypoint.Route[] = [];
  winner.spec.http.forEach((http, i) => {
    const r = convertRule(winner, http, i, svc, s.mesh, (p, m) => warn(winner, p, m));
    if (r) routes.push(r);
  });
  return { routes, issues };
}
