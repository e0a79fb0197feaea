// Test-only builders for domain config objects (excluded from the build).
import type { Listener, Route, RouteMatch, StringMatcher, WeightedBackend } from "../config/types.js";
import type { RouteInput } from "../route/route-match.js";

export const prefix = (value: string): StringMatcher => ({ kind: "prefix", value });
export const exact = (value: string): StringMatcher => ({ kind: "exact", value });
export const regex = (value: string): StringMatcher => ({ kind: "regex", value, re: new RegExp(`^(?:${value})$`) });

export function match(p: Partial<RouteMatch> = {}): RouteMatch {
  return { path: prefix("/"), headers: [], query: [], method: undefined, ...p };
}

export function backend(hostname: string, weight = 1, port = 0): WeightedBackend {
  return { hostname, port, weight, requestHeaders: undefined, responseHeaders: undefined };
}

export function route(name: string, p: Partial<Route> = {}): Route {
  return {
    name,
    hostnames: [],
    port: 0,
    matches: [match()],
    backends: [backend("svc.ns.svc.cluster.local")],
    requestHeaders: undefined,
    responseHeaders: undefined,
    redirect: undefined,
    rewrite: undefined,
    mirrors: [],
    requestTimeoutMs: 0,
    backendTimeoutMs: 0,
    retry: undefined,
    fault: undefined,
    ...p,
  };
}

export function listener(routes: Route[], hostname = "svc.ns.svc.cluster.local"): Listener {
  return { hostname, namespace: "ns", name: "svc", addresses: ["10.96.0.1"], ports: [], routes };
}

export function input(p: {
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  host?: string;
  port?: number;
}): RouteInput {
  const h = p.headers ?? {};
  return {
    method: p.method ?? "GET",
    path: p.path ?? "/",
    query: new URLSearchParams(p.query ?? ""),
    header: (n) => h[n],
    host: p.host ?? "svc",
    port: p.port ?? 9080,
  };
}
