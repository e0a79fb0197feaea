/**
 * The waypoint's domain view of its configuration: what `fromWaypointConfig` turns the wire
 * resource (`ambit.waypoint.WaypointConfig`) into. Regexes are compiled and defaults applied once,
 * so the request path only reads plain objects. Everything is readonly and shared between requests.
 */

export type StringMatchKind = "exact" | "prefix" | "regex";

export interface StringMatcher {
  readonly kind: StringMatchKind;
  readonly value: string;
  /** Compiled, anchored; only for `regex`. */
  readonly re?: RegExp;
}

export interface HeaderMatcher {
  /** Lower-case. */
  readonly name: string;
  readonly match: StringMatcher;
}

export interface RouteMatch {
  /** Defaults to prefix `/`. */
  readonly path: StringMatcher;
  readonly headers: readonly HeaderMatcher[];
  readonly query: readonly HeaderMatcher[];
  /** Upper-case; undefined = any. */
  readonly method: string | undefined;
}

export interface HeaderModifier {
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface PathModifier {
  readonly kind: "full" | "prefix";
  readonly value: string;
}

export interface Redirect {
  readonly scheme: string | undefined;
  readonly hostname: string | undefined;
  readonly path: PathModifier | undefined;
  readonly port: number | undefined;
  readonly statusCode: number;
}

export interface Rewrite {
  readonly hostname: string | undefined;
  readonly path: PathModifier | undefined;
}

export interface WeightedBackend {
  readonly hostname: string;
  /** 0 = the port the request arrived on. */
  readonly port: number;
  readonly weight: number;
  readonly requestHeaders: HeaderModifier | undefined;
  readonly responseHeaders: HeaderModifier | undefined;
}

export interface Mirror {
  readonly hostname: string;
  readonly port: number;
  readonly percent: number;
}

export interface RetryPolicy {
  /** Retries after the first try. */
  readonly attempts: number;
  /** Statuses that are retried; empty = 5xx-style defaults (502, 503, 504). */
  readonly codes: ReadonlySet<number>;
  readonly backoffMs: number;
}

export interface FaultPolicy {
  readonly delayMs: number;
  readonly delayPercent: number;
  readonly abortStatus: number;
  readonly abortPercent: number;
}

export interface Route {
  readonly name: string;
  readonly hostnames: readonly string[];
  /** 0 = every port. */
  readonly port: number;
  /** Never empty: an unconditional route gets one match-all entry. */
  readonly matches: readonly RouteMatch[];
  readonly backends: readonly WeightedBackend[];
  readonly requestHeaders: HeaderModifier | undefined;
  readonly responseHeaders: HeaderModifier | undefined;
  readonly redirect: Redirect | undefined;
  readonly rewrite: Rewrite | undefined;
  readonly mirrors: readonly Mirror[];
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly backendTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly fault: FaultPolicy | undefined;
}

export interface ServicePort {
  readonly port: number;
  readonly targetPort: number;
  readonly name: string;
  readonly appProtocol: string;
}

export interface Listener {
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly ports: readonly ServicePort[];
  /** Configured routes; empty means "everything to this service" (see `routesOf`). */
  readonly routes: readonly Route[];
}

export interface Endpoint {
  readonly address: string;
  /** SPIFFE URI. */
  readonly identity: string;
  readonly workload: string;
  /** service port → endpoint port. */
  readonly ports: ReadonlyMap<number, number>;
  readonly app: string;
  readonly version: string;
  /** The owning workload's name (a Deployment's, else the pod's), as in its Workload resource. */
  readonly workloadName: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
}

export interface Backend {
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePort[];
  readonly endpoints: readonly Endpoint[];
  /**
   * A workload's own backend (`waypoint-for` workload|all): its endpoints serve every port under
   * the port's own number, so `ports` and the endpoints' maps are empty.
   */
  readonly anyPort: boolean;
}

export type PolicyAction = "ALLOW" | "DENY";

export interface L7Source {
  readonly principals: readonly string[];
  readonly notPrincipals: readonly string[];
  readonly requestPrincipals: readonly string[];
  readonly notRequestPrincipals: readonly string[];
  readonly namespaces: readonly string[];
  readonly notNamespaces: readonly string[];
}

export interface L7Operation {
  readonly hosts: readonly string[];
  readonly notHosts: readonly string[];
  readonly methods: readonly string[];
  readonly notMethods: readonly string[];
  readonly paths: readonly string[];
  readonly notPaths: readonly string[];
  readonly ports: readonly number[];
  readonly notPorts: readonly number[];
}

export interface L7Condition {
  readonly key: string;
  readonly values: readonly string[];
  readonly notValues: readonly string[];
}

export interface L7Rule {
  readonly from: readonly L7Source[];
  readonly to: readonly L7Operation[];
  readonly when: readonly L7Condition[];
}

export interface L7Policy {
  readonly name: string;
  readonly action: PolicyAction;
  readonly rules: readonly L7Rule[];
  /** Listener hostnames; empty = all. */
  readonly services: readonly string[];
}

export interface JwtRule {
  readonly name: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** JWKS JSON text (inline, or read from `jwksFile` by the loader). */
  readonly jwks: string;
  readonly jwksFile: string;
  readonly services: readonly string[];
  /** Lower-case header names; default `authorization` (Bearer). */
  readonly fromHeaders: readonly string[];
}

/** Everything one waypoint serves, indexed for the request path. */
export interface WaypointState {
  readonly namespace: string;
  readonly name: string;
  readonly trustDomain: string;
  /** The mesh's cluster id, for `destination_cluster` ("Kubernetes" when the config has none). */
  readonly clusterId: string;
  readonly listeners: readonly Listener[];
  /** VIP (canonical) or hostname → listener. */
  readonly listenerByKey: ReadonlyMap<string, Listener>;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly policies: readonly L7Policy[];
  readonly jwtRules: readonly JwtRule[];
}
