import type { AuthorizationPolicy, Cidr, PolicyMatch, PolicyScope, StringMatch } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { ipFromBytes } from "../state/ip-bytes.js";
import type { Converted } from "./convert-address.js";

class Invalid extends Error {}
const fail = (reason: string): never => {
  throw new Invalid(reason);
};

function stringMatchOf(s: pb.security.StringMatch, what: string): StringMatch {
  switch (s.matchType.case) {
    case "exact":
      return { kind: "exact", value: s.matchType.value };
    case "prefix":
      return { kind: "prefix", value: s.matchType.value };
    case "suffix":
      return { kind: "suffix", value: s.matchType.value };
    case "presence":
      return { kind: "presence" };
    default:
      return fail(`${what}: string match without a match type`);
  }
}

function cidrOf(a: pb.security.Address, what: string): Cidr {
  const ip =
    ipFromBytes(a.address) ?? fail(`${what}: address must be 4 or 16 bytes, got ${a.address.length}`);
  const max = a.address.length * 8;
  if (a.length > max) fail(`${what}: prefix length ${a.length} exceeds ${max}`);
  return { ip, length: a.length };
}

function ports(list: readonly number[], what: string): number[] {
  for (const p of list) if (p > 65535) fail(`${what}: port ${p} out of range`);
  return [...list];
}

function matchOf(m: pb.security.Match): PolicyMatch {
  const strings = (l: readonly pb.security.StringMatch[], what: string) =>
    l.map((s) => stringMatchOf(s, what));
  const cidrs = (l: readonly pb.security.Address[], what: string) => l.map((a) => cidrOf(a, what));
  const sas = (l: readonly pb.security.ServiceAccountMatch[]) =>
    l.map((s) => ({ namespace: s.namespace, serviceAccount: s.serviceAccount }));
  return {
    namespaces: strings(m.namespaces, "namespaces"),
    notNamespaces: strings(m.notNamespaces, "not_namespaces"),
    serviceAccounts: sas(m.serviceAccounts),
    notServiceAccounts: sas(m.notServiceAccounts),
    principals: strings(m.principals, "principals"),
    notPrincipals: strings(m.notPrincipals, "not_principals"),
    sourceIps: cidrs(m.sourceIps, "source_ips"),
    notSourceIps: cidrs(m.notSourceIps, "not_source_ips"),
    destinationIps: cidrs(m.destinationIps, "destination_ips"),
    notDestinationIps: cidrs(m.notDestinationIps, "not_destination_ips"),
    destinationPorts: ports(m.destinationPorts, "destination_ports"),
    notDestinationPorts: ports(m.notDestinationPorts, "not_destination_ports"),
  };
}

const SCOPES: Record<number, PolicyScope> = {
  [pb.security.Scope.GLOBAL]: "global",
  [pb.security.Scope.NAMESPACE]: "namespace",
  [pb.security.Scope.WORKLOAD_SELECTOR]: "workload_selector",
};

/** `istio.security.Authorization` → {@link AuthorizationPolicy}; the resource name must be `ns/name`. */
export function policyFromPb(name: string, a: pb.security.Authorization): Converted<AuthorizationPolicy> {
  try {
    if (!a.name) fail("authorization: empty name");
    if (`${a.namespace}/${a.name}` !== name)
      fail(`resource name does not match policy key ${a.namespace}/${a.name}`);
    const scope = SCOPES[a.scope] ?? fail(`authorization scope: unknown value ${a.scope}`);
    const action =
      a.action === pb.security.Action.ALLOW
        ? "allow"
        : a.action === pb.security.Action.DENY
          ? "deny"
          : fail(`authorization action: unknown value ${a.action}`);
    const value: AuthorizationPolicy = {
      name: a.name,
      namespace: a.namespace,
      scope,
      action,
      dryRun: a.dryRun,
      rules: a.rules.map((r) => ({ clauses: r.clauses.map((c) => ({ matches: c.matches.map(matchOf) })) })),
    };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}
