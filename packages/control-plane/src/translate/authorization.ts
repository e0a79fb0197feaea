import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import type { MeshConfig } from "../model/mesh-config.js";
import { nsName } from "../model/pod-facts.js";
import type { AuthorizationPolicyObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { ipBytes } from "./ip-bytes.js";

/**
 * AuthorizationPolicy → `istio.security.Authorization` exactly as istiod converts it for ztunnel
 * (wire-spec §6.1). Each AP rule becomes one Rule (OR); inside, one Clause for all `to` (OR of
 * port matches), one for all `from` (OR of source matches), one per `when` (AND across clauses).
 * L7 attributes fail closed: an ALLOW rule using any is dropped whole; a DENY rule keeps its L4
 * parts (an emptied Match is sent as is, and ztunnel treats it as match-none).
 */

type Spec = AuthorizationPolicyObject["spec"];
type ApRule = NonNullable<Spec["rules"]>[number];
type Source = NonNullable<NonNullable<ApRule["from"]>[number]["source"]>;
type Operation = NonNullable<NonNullable<ApRule["to"]>[number]["operation"]>;

/** `when` keys ztunnel can evaluate; any other key is an HTTP attribute. */
export const L4_WHEN_KEYS: ReadonlySet<string> = new Set([
  "source.ip",
  "source.namespace",
  "source.principal",
  "destination.ip",
  "destination.port",
]);
const L7_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"] as const;
// trustDomains has no Match field; istiod reports it as unsupported too (folding it into
// principals would widen a source that also sets principals).
const L7_SOURCE_FIELDS = [
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "requestPrincipals",
  "notRequestPrincipals",
  "trustDomains",
  "notTrustDomains",
] as const;

/** The dry-run annotation, parsed like Go's strconv.ParseBool. */
export function isDryRun(ap: AuthorizationPolicyObject): boolean {
  const v = ap.metadata.annotations["istio.io/dry-run"];
  return v !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(v);
}

/** Policies with targetRef(s) are for waypoints only and never reach ztunnel. */
export function hasTargetRefs(ap: AuthorizationPolicyObject): boolean {
  return ap.spec.targetRef !== undefined || (ap.spec.targetRefs?.length ?? 0) > 0;
}

export interface ConvertedPolicy {
  /** Undefined when the policy is not sent to ztunnel. */
  readonly authorization: pb.security.Authorization | undefined;
  readonly issues: readonly ConfigIssue[];
}

export function convertAuthorizationPolicy(ap: AuthorizationPolicyObject, mesh: MeshConfig): ConvertedPolicy {
  const spec = ap.spec;
  const warn = (code: ConfigIssue["code"], message: string): ConfigIssue => ({
    severity: "warning",
    code,
    message,
    origin: "translate",
    kind: "AuthorizationPolicy",
    namespace: ap.metadata.namespace,
    name: ap.metadata.name,
    ...(ap.origin ? { location: ap.origin } : {}),
  });
  const dryRun = isDryRun(ap);
  if (dryRun && !mesh.enableDryRun) {
    const msg = `dry-run policy not sent: ${nsName(ap)} uses istio.io/dry-run but dry-run policies are disabled`;
    return { authorization: undefined, issues: [warn("dry_run_disabled", msg)] };
  }
  if (hasTargetRefs(ap)) return { authorization: undefined, issues: [] };
  if (spec.action !== "ALLOW" && spec.action !== "DENY") {
    const msg = `unsupported action: ztunnel does not support the ${spec.action} action; policy not sent`;
    return { authorization: undefined, issues: [warn("unsupported_action", msg)] };
  }
  const action = spec.action === "DENY" ? pb.security.Action.DENY : pb.security.Action.ALLOW;
  let scope = pb.security.Scope.WORKLOAD_SELECTOR;
  if (spec.selector === undefined) {
    scope =
      ap.metadata.namespace === mesh.rootNamespace ? pb.security.Scope.GLOBAL : pb.security.Scope.NAMESPACE;
  }
  const l7 = new Set<string>();
  const rules: pb.security.Rule[] = [];
  for (const r of spec.rules ?? []) {
    const clauses = convertRule(action, r, ap.metadata.namespace, l7);
    if (clauses) rules.push(create(pb.security.RuleSchema, { clauses }));
  }
  const authorization = create(pb.security.AuthorizationSchema, {
    name: ap.metadata.name,
    namespace: ap.metadata.namespace,
    scope,
    action,
    rules,
    dryRun,
  });
  if (l7.size === 0) return { authorization, issues: [] };
  let tail: string;
  if (action === pb.security.Action.DENY && !hasEffectiveRules(rules)) {
    tail =
      "after omitting them, this DENY policy has no enforceable rules at ztunnel and has no effect; " +
      "use a waypoint (targetRefs) to enforce it.";
  } else if (action === pb.security.Action.DENY) {
    tail = "the DENY policy is enforced without the HTTP rules, which is more restrictive than written.";
  } else {
    tail = "ALLOW rules that use them are dropped, which is more restrictive than written.";
  }
  const found = [...l7].sort().join(", ");
  const msg = `unsupported HTTP attributes: ztunnel cannot enforce ${found}; ${tail}`;
  return { authorization, issues: [warn("unsupported_http_attributes", msg)] };
}

/** Clauses of one rule, or undefined when an ALLOW rule must be dropped (it used L7 fields). */
function convertRule(
  action: pb.security.Action,
  r: ApRule,
  ns: string,
  l7: Set<string>,
): pb.security.Clause[] | undefined {
  let foundL7 = false;
  const note = (fields: readonly string[], obj: object | undefined) => {
    for (const f of fields) {
      const v = (obj as Record<string, unknown[] | undefined> | undefined)?.[f];
      if (v && v.length > 0) {
        foundL7 = true;
        l7.add(f);
      }
    }
  };
  const clauses: pb.security.Clause[] = [];
  const to = (r.to ?? []).map((t) => {
    const op: Operation = t.operation ?? {};
    note(L7_OPERATION_FIELDS, op);
    return create(pb.security.MatchSchema, {
      destinationPorts: ports(op.ports),
      notDestinationPorts: ports(op.notPorts),
    });
  });
  if (to.length > 0) clauses.push(create(pb.security.ClauseSchema, { matches: to }));
  const from = (r.from ?? []).map((f) => {
    const s: Source = f.source ?? {};
    note(L7_SOURCE_FIELDS, s);
    return create(pb.security.MatchSchema, {
      sourceIps: cidrs(s.ipBlocks),
      notSourceIps: cidrs(s.notIpBlocks),
      namespaces: stringMatches(s.namespaces),
      notNamespaces: stringMatches(s.notNamespaces),
      serviceAccounts: serviceAccounts(s.serviceAccounts, ns),
      notServiceAccounts: serviceAccounts(s.notServiceAccounts, ns),
      principals: stringMatches(s.principals),
      notPrincipals: stringMatches(s.notPrincipals),
    });
  });
  if (from.length > 0) clauses.push(create(pb.security.ClauseSchema, { matches: from }));
  for (const w of r.when ?? []) {
    if (!L4_WHEN_KEYS.has(w.key)) {
      foundL7 = true;
      l7.add(w.key);
    }
    const pick = <T>(key: string, f: (v: readonly string[] | undefined) => T[], not: boolean): T[] =>
      w.key === key ? f(not ? w.notValues : w.values) : [];
    const m = create(pb.security.MatchSchema, {
      namespaces: pick("source.namespace", stringMatches, false),
      principals: pick("source.principal", stringMatches, false),
      sourceIps: pick("source.ip", cidrs, false),
      destinationPorts: pick("destination.port", ports, false),
      destinationIps: pick("destination.ip", cidrs, false),
      notNamespaces: pick("source.namespace", stringMatches, true),
      notPrincipals: pick("source.principal", stringMatches, true),
      notSourceIps: pick("source.ip", cidrs, true),
      notDestinationPorts: pick("destination.port", ports, true),
      notDestinationIps: pick("destination.ip", cidrs, true),
    });
    clauses.push(create(pb.security.ClauseSchema, { matches: [m] }));
  }
  if (action === pb.security.Action.ALLOW && foundL7) return undefined;
  return clauses;
}

/** `*` → presence, `*x` → suffix, `x*` → prefix, else exact (Istio's string match rules). */
export function stringMatches(values: readonly string[] | undefined): pb.security.StringMatch[] {
  return (values ?? []).map((v) => {
    let matchType: pb.security.StringMatch["matchType"];
    if (v === "*") matchType = { case: "presence", value: create(EmptySchema) };
    else if (v.startsWith("*")) matchType = { case: "suffix", value: v.slice(1) };
    else if (v.endsWith("*")) matchType = { case: "prefix", value: v.slice(0, -1) };
    else matchType = { case: "exact", value: v };
    return create(pb.security.StringMatchSchema, { matchType });
  });
}

function serviceAccounts(
  values: readonly string[] | undefined,
  ns: string,
): pb.security.ServiceAccountMatch[] {
  return (values ?? []).map((v) => {
    const slash = v.indexOf("/");
    const [namespace, serviceAccount] = slash >= 0 ? [v.slice(0, slash), v.slice(slash + 1)] : [ns, v];
    return create(pb.security.ServiceAccountMatchSchema, { namespace, serviceAccount });
  });
}

/** Ports are validated by the schema; anything unparsable is skipped as istiod does. */
function ports(values: readonly string[] | undefined): number[] {
  return (values ?? []).filter((v) => /^[0-9]{1,5}$/.test(v) && Number(v) <= 65535).map(Number);
}

/** `ip` or `ip/len` → Address; a bare IP gets the full prefix length (32 or 128). */
function cidrs(values: readonly string[] | undefined): pb.security.Address[] {
  const out: pb.security.Address[] = [];
  for (const v of values ?? []) {
    const [ip = "", len] = v.split("/");
    const address = ipBytes(ip);
    if (!address) continue;
    const length = len === undefined ? address.length * 8 : Number(len);
    out.push(create(pb.security.AddressSchema, { address, length }));
  }
  return out;
}

const EMPTY_MATCH_FIELDS = [
  "namespaces",
  "notNamespaces",
  "serviceAccounts",
  "notServiceAccounts",
  "principals",
  "notPrincipals",
  "sourceIps",
  "notSourceIps",
  "destinationIps",
  "notDestinationIps",
  "destinationPorts",
  "notDestinationPorts",
] as const;

/** True when at least one rule can fire at ztunnel (a rule with no clauses matches everything). */
export function hasEffectiveRules(rules: readonly pb.security.Rule[]): boolean {
  return rules.some((r) =>
    r.clauses.every((c) => c.matches.some((m) => EMPTY_MATCH_FIELDS.some((f) => m[f].length > 0))),
  );
}
