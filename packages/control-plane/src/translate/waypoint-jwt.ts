import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { selectorMatches } from "../model/labels.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject, RequestAuthenticationObject, ServiceObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { GATEWAY_NAME_LABEL } from "./waypoint-binding.js";

/**
 * RequestAuthentication → waypoint `JwtRule`s. Which RequestAuthentications apply to a waypoint:
 * * `targetRefs` (or `targetRef`) naming the waypoint's Gateway (same namespace) → every listener;
 *   naming a Service the waypoint serves (same namespace as the Service) → that service only;
 * * a non-empty `selector` in the Gateway's namespace matching the waypoint's labels
 *   (`gateway.networking.k8s.io/gateway-name: <gw>`, `istio.io/gateway-name: <gw>` and the labels
 *   of its pods) → every listener;
 * * policies with neither are workload (sidecar) policies in Istio; ztunnel has no JWT, so they
 *   apply nowhere here.
 * JWKS: inline `jwks`, or `jwksUri: file:///path` (the waypoint reads the file). An http(s)
 * `jwksUri` is not fetched: the rule is sent without keys, so its tokens are rejected (401), and
 * a warning says so. Likewise for a rule with neither (Istio would use OpenID discovery).
 */

type JwtRuleSpec = RequestAuthenticationObject["spec"]["jwtRules"][number];

function isGatewayRef(ref: { group?: string | undefined; kind: string }): boolean {
  return ref.kind === "Gateway" && (ref.group ?? "gateway.networking.k8s.io") === "gateway.networking.k8s.io";
}

function isServiceRef(ref: { group?: string | undefined; kind: string }): boolean {
  return ref.kind === "Service" && (ref.group ?? "") === "";
}

/** Labels a selector policy is matched against for this waypoint. */
function waypointLabels(s: ConfigSnapshot, gw: GatewayObject): Record<string, string> {
  const name = gw.metadata.name;
  const labels: Record<string, string> = {};
  for (const pod of s.pods.values()) {
    if (pod.metadata.namespace === gw.metadata.namespace && pod.metadata.labels[GATEWAY_NAME_LABEL] === name)
      Object.assign(labels, pod.metadata.labels);
  }
  labels[GATEWAY_NAME_LABEL] = name;
  labels["istio.io/gateway-name"] = name;
  return labels;
}

/** Hostnames the policy targets here: [] = every listener, undefined = not for this waypoint. */
function targets(
  s: ConfigSnapshot,
  ra: RequestAuthenticationObject,
  gw: GatewayObject,
  served: ReadonlyMap<string, ServiceObject>,
  hostOf: (svc: ServiceObject) => string,
): string[] | undefined {
  const ns = ra.metadata.namespace;
  const refs = [...(ra.spec.targetRefs ?? []), ...(ra.spec.targetRef ? [ra.spec.targetRef] : [])];
  if (refs.length > 0) {
    const hosts = new Set<string>();
    for (const ref of refs) {
      if (isGatewayRef(ref) && ref.name === gw.metadata.name && ns === gw.metadata.namespace) return [];
      if (isServiceRef(ref)) {
        const svc = served.get(`${ns}/${ref.name}`);
        if (svc) hosts.add(hostOf(svc));
      }
    }
    return hosts.size > 0 ? [...hosts].sort() : undefined;
  }
  const sel = ra.spec.selector?.matchLabels ?? {};
  if (ns !== gw.metadata.namespace || Object.keys(sel).length === 0) return undefined;
  return selectorMatches(sel, waypointLabels(s, gw)) ? [] : undefined;
}

function convertRule(
  ra: RequestAuthenticationObject,
  rule: JwtRuleSpec,
  index: number,
  services: string[],
  warn: (path: string, message: string) => void,
): pb.waypoint.JwtRule {
  const where = `spec.jwtRules[${index}]`;
  let jwksFile = "";
  if (rule.jwksUri?.startsWith("file://")) {
    jwksFile = decodeURIComponent(rule.jwksUri.slice("file://".length));
  } else if (rule.jwksUri !== undefined) {
    warn(`${where}.jwksUri`, `jwksUri is not fetched: tokens from ${rule.issuer} are rejected`);
  } else if (rule.jwks === undefined) {
    warn(where, `no jwks or file:// jwksUri (no discovery): tokens from ${rule.issuer} are rejected`);
  }
  const ignored = (
    ["fromParams", "fromCookies", "outputPayloadToHeader", "outputClaimToHeaders", "timeout"] as const
  ).filter((f) => rule[f] !== undefined);
  if (ignored.length > 0) warn(where, `ignored by the waypoint: ${ignored.join(", ")}`);
  const headers = rule.fromHeaders ?? [];
  headers.forEach((h, i) => {
    const name = h.name.toLowerCase();
    const supported = name === "authorization" ? "Bearer " : "";
    if (h.prefix === undefined || h.prefix === supported) return;
    const reads = supported ? 'as "Bearer <token>"' : "as the bare token";
    warn(
      `${where}.fromHeaders[${i}].prefix`,
      `prefix ${JSON.stringify(h.prefix)} not supported: the waypoint reads ${name} ${reads}`,
    );
  });
  return create(pb.waypoint.JwtRuleSchema, {
    name: `${ra.metadata.namespace}/${ra.metadata.name}/${index}`,
    issuer: rule.issuer,
    audiences: rule.audiences ?? [],
    jwks: rule.jwks ?? "",
    jwksFile,
    services,
    fromHeaders: headers.map((h) => h.name.toLowerCase()),
  });
}

/** JWT rules of one waypoint, sorted by name, with warnings naming the RequestAuthentications. */
export function waypointJwtRules(
  s: ConfigSnapshot,
  gw: GatewayObject,
  served: ReadonlyMap<string, ServiceObject>,
  hostOf: (svc: ServiceObject) => string,
): { rules: pb.waypoint.JwtRule[]; issues: ConfigIssue[] } {
  const rules: pb.waypoint.JwtRule[] = [];
  const issues: ConfigIssue[] = [];
  for (const ra of s.requestAuthentications.values()) {
    const services = targets(s, ra, gw, served, hostOf);
    if (services === undefined) continue;
    const warn = (path: string, message: string) =>
      issues.push({
        severity: "warning",
        code: "unsupported_waypoint_config",
        message,
        origin: "translate",
        kind: "RequestAuthentication",
        namespace: ra.metadata.namespace,
        name: ra.metadata.name,
        ...(ra.origin ? { location: ra.origin } : {}),
        path,
      });
    ra.spec.jwtRules.forEach((rule, i) => {
      rules.push(convertRule(ra, rule, i, services, warn));
    });
  }
  rules.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { rules, issues };
}
