import type { HeaderMatcher, Listener, Route, RouteMatch, StringMatcher } from "../config/types.js";

/** What route selection reads from one HTTP request (already parsed and normalised). */
export interface RouteInput {
  /** Upper-case method. */
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Pick<URLSearchParams, "get">;
  /** Lower-case header name → value (repeated headers joined with `,`). */
  header(name: string): string | undefined;
  /** Host of the request (`Host`/`:authority`) without port, lower-case. */
  readonly host: string;
  /** Service port the connection was addressed to. */
  readonly port: number;
}

/** The winner of route selection: which route and which of its matches. */
export interface RouteSelection {
  readonly route: Route;
  readonly match: RouteMatch;
}

/** Gateway API path prefix semantics: whole path segments ("/foo" matches "/foo/bar", not "/foobar"). */
export function prefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (p === "/") return true;
  return path === p || path.startsWith(`${p}/`);
}

export function stringMatches(m: StringMatcher, v: string | undefined): boolean {
  if (v === undefined) return false;
  switch (m.kind) {
    case "exact":
      return v === m.value;
    case "prefix":
      return prefixMatches(m.value, v);
    case "regex":
      return m.re?.test(v) ?? false;
  }
}

function allMatch(list: readonly HeaderMatcher[], get: (n: string) => string | undefined): boolean {
  for (const h of list) if (!stringMatches(h.match, get(h.name))) return false;
  return true;
}

/** True when one match of a route accepts the request (path, method, every header, every query param). */
export function matchAccepts(m: RouteMatch, req: RouteInput): boolean {
  if (m.method !== undefined && m.method !== req.method) return false;
  if (!stringMatches(m.path, req.path)) return false;
  if (!allMatch(m.headers, (n) => req.header(n))) return false;
  // A query value string match reads the first value, as Envoy does.
  return allMatch(m.query, (n) => req.query.get(n) ?? undefined);
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** Route `hostnames` restrict by the request host or the listener's own service hostname. */
export function hostnameAccepts(route: Route, listener: Listener, host: string): boolean {
  if (route.hostnames.length === 0) return true;
  return route.hostnames.some((h) => hostMatches(h, host) || hostMatches(h, listener.hostname));
}

/**
 * Precedence key, larger wins (Gateway API HTTPRoute rules, with Istio's placement of regex):
 * exact path > regex path > longest prefix > method set > more header matches > more query
 * matches. Ties keep configuration order (oldest route, then rule index, then match index).
 */
export function matchPrecedence(m: RouteMatch): readonly number[] {
  const kind = m.path.kind === "exact" ? 3 : m.path.kind === "regex" ? 2 : 1;
  const prefixLen = m.path.kind === "prefix" ? m.path.value.length : 0;
  return [kind, prefixLen, m.method === undefined ? 0 : 1, m.headers.length, m.query.length];
}

function better(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return false;
}

/**
 * Pick the route for a request among a listener's routes, or undefined (→ 404). A listener with
 * no configured routes has one implicit route to its own service (see {@link routesOf}).
 */
export function selectRoute(listener: Listener, req: RouteInput): RouteSelection | undefined {
  let best: RouteSelection | undefined;
  let bestKey: readonly number[] = [];
  for (const route of routesOf(listener)) {
    if (route.port !== 0 && route.port !== req.port) continue;
    if (!hostnameAccepts(route, listener, req.host)) continue;
    for (const m of route.matches) {
      if (!matchAccepts(m, req)) continue;
      const key = matchPrecedence(m);
      if (best === undefined || better(key, bestKey)) {
        best = { route, match: m };
        bestKey = key;
      }
    }
  }
  return best;
}

const defaultRoutes = new WeakMap<Listener, readonly Route[]>();

/** Configured routes, or the implicit "everything to this service on the same port" route. */
export function routesOf(listener: Listener): readonly Route[] {
  if (listener.routes.length > 0) return listener.routes;
  let r = defaultRoutes.get(listener);
  if (!r) {
    r = [
      {
        name: `${listener.namespace}/${listener.name}/default`,
        hostnames: [],
        port: 0,
        matches: [{ path: { kind: "prefix", value: "/" }, headers: [], query: [], method: undefined }],
        backends: [
          {
            hostname: listener.hostname,
            port: 0,
            weight: 1,
            requestHeaders: undefined,
            responseHeaders: undefined,
          },
        ],
        requestHeaders: undefined,
        responseHeaders: undefined,
        redirect: undefined,
        rewrite: undefined,
        mirrors: [],
        requestTimeoutMs: 0,
        backendTimeoutMs: 0,
        retry: undefined,
        fault: undefined,
      },
    ];
    defaultRoutes.set(listener, r);
  }
  return r;
}
