import type {
  AuthorizationPolicy,
  Cidr,
  Identity,
  PolicyMatch,
  PolicyRule,
  ServiceAccountMatch,
  StringMatch,
} from "@ambit/api";
import { canonicalIp, policyKey, principalOf } from "@ambit/api";
import { cidrContains } from "../state/ip-bytes.js";

/** The connection being authorized, as the inbound proxy sees it (wire-spec §6.2 inputs). */
export interface AuthorizationRequest {
  /** Peer identity from mTLS; undefined for plaintext (15006) connections. */
  readonly identity: Identity | undefined;
  /** TCP peer IP (a waypoint/gateway IP if one was traversed). */
  readonly sourceIp: string;
  /** Upstream destination: the pod IP and target port (never 15008). */
  readonly destinationIp: string;
  readonly destinationPort: number;
}

/** A dry-run policy's verdict: logged, never enforced. */
export interface DryRunResult {
  readonly policy: string;
  readonly action: "allow" | "deny";
  readonly matched: boolean;
}

/** The decision, with a reason fit for an access log line and `ambit` explanations. */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  readonly reason: string;
  /** Key `ns/name` of the deciding policy (absent when no policy decided). */
  readonly policy?: string;
  /** Present when dry-run policies were evaluated. */
  readonly dryRun?: readonly DryRunResult[];
}

/**
 * Decide an inbound connection against the destination's policy set (from
 * `ProxyStateView.findPoliciesForWorkload`), in ztunnel's order: dry-run policies only reported;
 * any DENY match denies; no ALLOW policies allows; any ALLOW match allows; else deny.
 */
export function evaluateAuthorization(
  policies: readonly AuthorizationPolicy[],
  request: AuthorizationRequest,
): AuthorizationDecision {
  const dryRun: DryRunResult[] = [];
  const enforced: AuthorizationPolicy[] = [];
  for (const p of policies) {
    if (p.dryRun) dryRun.push({ policy: policyKey(p), action: p.action, matched: policyMatches(p, request) });
    else enforced.push(p);
  }
  const withDry = (d: AuthorizationDecision): AuthorizationDecision =>
    dryRun.length > 0 ? { ...d, dryRun } : d;
  for (const p of enforced) {
    if (p.action === "deny" && policyMatches(p, request)) {
      return withDry({
        allowed: false,
        reason: `explicitly denied by ${policyKey(p)}`,
        policy: policyKey(p),
      });
    }
  }
  const allows = enforced.filter((p) => p.action === "allow");
  if (allows.length === 0) return withDry({ allowed: true, reason: "no allow policies" });
  for (const p of allows) {
    if (policyMatches(p, request)) {
      return withDry({ allowed: true, reason: `allowed by ${policyKey(p)}`, policy: policyKey(p) });
    }
  }
  return withDry({ allowed: false, reason: "allow policies exist, but none allowed" });
}

/** Does a policy match? Zero rules never match; rules are OR-ed. */
export function policyMatches(policy: AuthorizationPolicy, req: AuthorizationRequest): boolean {
  return policy.rules.some((rule) => ruleMatches(rule, req));
}

function ruleMatches(rule: PolicyRule, req: AuthorizationRequest): boolean {
  // Clauses AND-ed; a clause with no matches holds; otherwise any non-empty match must hold.
  return rule.clauses.every(
    (clause) =>
      clause.matches.length === 0 || clause.matches.some((m) => !isEmptyMatch(m) && matchHolds(m, req)),
  );
}

function isEmptyMatch(m: PolicyMatch): boolean {
  return (
    m.namespaces.length === 0 &&
    m.notNamespaces.length === 0 &&
    m.serviceAccounts.length === 0 &&
    m.notServiceAccounts.length === 0 &&
    m.principals.length === 0 &&
    m.notPrincipals.length === 0 &&
    m.sourceIps.length === 0 &&
    m.notSourceIps.length === 0 &&
    m.destinationIps.length === 0 &&
    m.notDestinationIps.length === 0 &&
    m.destinationPorts.length === 0 &&
    m.notDestinationPorts.length === 0
  );
}

/** Every populated field must hold: positive fields need any value, `not*` fields need none. */
function matchHolds(m: PolicyMatch, req: AuthorizationRequest): boolean {
  const id = req.identity;
  const principal = id ? principalOf(id) : undefined;
  const ns = id?.namespace;
  const src = canonicalIp(req.sourceIp) ?? req.sourceIp;
  const dst = canonicalIp(req.destinationIp) ?? req.destinationIp;
  const field = <T>(pos: readonly T[], neg: readonly T[], test: (v: T) => boolean): boolean =>
    (pos.length === 0 || pos.some(test)) && (neg.length === 0 || !neg.some(test));
  return (
    field(m.namespaces, m.notNamespaces, (s) => stringMatches(s, ns)) &&
    field(m.serviceAccounts, m.notServiceAccounts, (sa) => serviceAccountMatches(sa, id)) &&
    field(m.principals, m.notPrincipals, (s) => stringMatches(s, principal)) &&
    field(m.sourceIps, m.notSourceIps, (c: Cidr) => cidrContains(c, src)) &&
    field(m.destinationIps, m.notDestinationIps, (c: Cidr) => cidrContains(c, dst)) &&
    field(m.destinationPorts, m.notDestinationPorts, (p) => p === req.destinationPort)
  );
}

/** Exact/prefix/suffix compare; `presence` = non-empty. No value (no identity) never matches. */
export function stringMatches(s: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  switch (s.kind) {
    case "exact":
      return value === s.value;
    case "prefix":
      return value.startsWith(s.value);
    case "suffix":
      return value.endsWith(s.value);
    case "presence":
      return value.length > 0;
  }
}

function serviceAccountMatches(sa: ServiceAccountMatch, id: Identity | undefined): boolean {
  // Trust domain is ignored, as in ztunnel.
  return id !== undefined && id.namespace === sa.namespace && id.serviceAccount === sa.serviceAccount;
}
