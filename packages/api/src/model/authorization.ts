/**
 * Domain model of an L4 authorization policy (`istio.security.Authorization`), and the input it is
 * evaluated against. Semantics (wire-spec §6): rules OR-ed; clauses in a rule AND-ed; matches in a
 * clause OR-ed; fields in a match AND-ed; values in a field OR-ed; `not*` = none of the values.
 */

export type PolicyScope = "global" | "namespace" | "workload_selector";
export type PolicyAction = "allow" | "deny";

export type StringMatch =
  | { readonly kind: "exact"; readonly value: string }
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "suffix"; readonly value: string }
  | { readonly kind: "presence" };

/** CIDR: canonical IP plus prefix length. */
export interface Cidr {
  readonly ip: string;
  readonly length: number;
}

export interface ServiceAccountMatch {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface PolicyMatch {
  readonly namespaces: readonly StringMatch[];
  readonly notNamespaces: readonly StringMatch[];
  readonly serviceAccounts: readonly ServiceAccountMatch[];
  readonly notServiceAccounts: readonly ServiceAccountMatch[];
  readonly principals: readonly StringMatch[];
  readonly notPrincipals: readonly StringMatch[];
  readonly sourceIps: readonly Cidr[];
  readonly notSourceIps: readonly Cidr[];
  readonly destinationIps: readonly Cidr[];
  readonly notDestinationIps: readonly Cidr[];
  readonly destinationPorts: readonly number[];
  readonly notDestinationPorts: readonly number[];
}

export interface PolicyClause {
  readonly matches: readonly PolicyMatch[];
}

export interface PolicyRule {
  readonly clauses: readonly PolicyClause[];
}

export interface AuthorizationPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly scope: PolicyScope;
  readonly action: PolicyAction;
  readonly rules: readonly PolicyRule[];
  readonly dryRun: boolean;
}

/** Key of a policy: `namespace/name`. */
export function policyKey(p: Pick<AuthorizationPolicy, "namespace" | "name">): string {
  return `${p.namespace}/${p.name}`;
}
