/**
 * YAML builders for the waypoint suite: the waypoint Gateway, app pods running a Node script,
 * Services with explicit selectors and app protocols, HTTPRoute, VirtualService faults,
 * RequestAuthentication and L7 AuthorizationPolicy bound with `targetRefs`.
 */
const q = JSON.stringify;

/** A waypoint Gateway (`istio-waypoint`), by default for `waypoint-for: service`. */
export function waypointGateway(
  name: string,
  namespace: string,
  waypointFor: "service" | "workload" | "all" = "service",
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${namespace}, labels: {istio.io/waypoint-for: ${waypointFor}}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;
}

/** An ambient Namespace whose Services use waypoint `waypoint`. */
export function waypointNamespace(name: string, waypoint: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${name}, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: ${waypoint}}}
`;
}

export interface AppContainer {
  readonly name: string;
  /** A Node program run as `node -e <script>`. */
  readonly script: string;
  readonly ports?: readonly { readonly name: string; readonly port: number }[];
  readonly env?: Readonly<Record<string, string>>;
}

/** A pod pinned to `node` whose containers run Node scripts. */
export function appPod(p: {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  readonly sa?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: readonly AppContainer[];
}): string {
  const containers = p.containers.map((c) => ({
    name: c.name,
    command: [process.execPath, "-e", c.script],
    env: Object.entries(c.env ?? {}).map(([name, value]) => ({ name, value })),
    ports: (c.ports ?? []).map((x) => ({ name: x.name, containerPort: x.port })),
  }));
  return `apiVersion: v1
kind: Pod
metadata: {name: ${p.name}, namespace: ${p.namespace}, labels: ${q(p.labels)}}
spec:
  nodeName: ${p.node}
  serviceAccountName: ${p.sa ?? p.name}
  containers: ${q(containers)}
`;
}

/** A Service with an explicit selector; ports `{name, port, targetPort, appProtocol?}`. */
export function appService(s: {
  readonly name: string;
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly {
    readonly name: string;
    readonly port: number;
    readonly targetPort: number;
    readonly appProtocol?: string;
  }[];
  readonly labels?: Readonly<Record<string, string>>;
}): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${s.name}, namespace: ${s.namespace}, labels: ${q(s.labels ?? {})}}
spec:
  selector: ${q(s.selector)}
  ports: ${q(s.ports)}
`;
}

/** An HTTPRoute attached to Service `service` (port `port`) with the given rules (JSON objects). */
export function httpRoute(r: {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  readonly rules: readonly Record<string, unknown>[];
}): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${r.name}, namespace: ${r.namespace}}
spec:
  parentRefs: [{group: "", kind: Service, name: ${r.service}, port: ${r.port}}]
  rules: ${q(r.rules)}
`;
}

/** A response header every test route sets, so a test can see that its route is in force. */
export function caseHeader(value: string): Record<string, unknown> {
  return {
    type: "ResponseHeaderModifier",
    responseHeaderModifier: { set: [{ name: "x-wp-case", value }] },
  };
}

/** A VirtualService on `host` whose only HTTP route injects `fault` (Istio's delay/abort shape). */
export function faultVirtualService(v: {
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly fault: Record<string, unknown>;
}): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${v.name}, namespace: ${v.namespace}}
spec:
  hosts: [${v.host}]
  http: ${q([{ fault: v.fault, route: [{ destination: { host: v.host } }] }])}
`;
}

/** A RequestAuthentication bound to Service `service` with one issuer and an inline JWKS. */
export function requestAuthentication(r: {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwks: string;
}): string {
  return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ${r.name}, namespace: ${r.namespace}}
spec:
  targetRefs: [{kind: Service, group: "", name: ${r.service}}]
  jwtRules: ${q([{ issuer: r.issuer, audiences: r.audiences, jwks: r.jwks }])}
`;
}

/** An L7 AuthorizationPolicy bound to Service `service` (rules as JSON objects). */
export function serviceAuthorizationPolicy(p: {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly action: "ALLOW" | "DENY";
  readonly rules: readonly Record<string, unknown>[];
}): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${p.name}, namespace: ${p.namespace}}
spec:
  targetRefs: [{kind: Service, group: "", name: ${p.service}}]
  action: ${p.action}
  rules: ${q(p.rules)}
`;
}
