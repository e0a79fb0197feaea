import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthorizationPolicy, PolicyMatch, PolicyRule } from "@ambit/api";
import { makeIdentity } from "@ambit/api";
import { type AuthorizationRequest, evaluateAuthorization } from "./evaluate-authorization.js";

const EMPTY: PolicyMatch = {
  namespaces: [],
  notNamespaces: [],
  serviceAccounts: [],
  notServiceAccounts: [],
  principals: [],
  notPrincipals: [],
  sourceIps: [],
  notSourceIps: [],
  destinationIps: [],
  notDestinationIps: [],
  destinationPorts: [],
  notDestinationPorts: [],
};
const m = (f: Partial<PolicyMatch>): PolicyMatch => ({ ...EMPTY, ...f });
/** One rule whose clauses each hold the given matches (OR-ed inside a clause). */
const rule = (...clauses: PolicyMatch[][]): PolicyRule => ({
  clauses: clauses.map((matches) => ({ matches })),
});
const policy = (
  name: string,
  action: "allow" | "deny",
  rules: PolicyRule[],
  extra: Partial<AuthorizationPolicy> = {},
): AuthorizationPolicy => ({
  name,
  namespace: "ns",
  scope: "namespace",
  action,
  rules,
  dryRun: false,
  ...extra,
});

const SLEEP = makeIdentity("client", "sleep");
const req = (r: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
  identity: SLEEP,
  sourceIp: "10.0.1.5",
  destinationIp: "10.0.2.7",
  destinationPort: 8080,
  ...r,
});
const exact = (value: string) => ({ kind: "exact" as const, value });
const presence = { kind: "presence" as const };

interface Case {
  readonly name: string;
  readonly policies: AuthorizationPolicy[];
  readonly request?: Partial<AuthorizationRequest>;
  readonly allowed: boolean;
  readonly reason: string;
}

const cases: Case[] = [
  { name: "no policies allow", policies: [], allowed: true, reason: "no allow policies" },
  {
    name: "ALLOW with rules: [] (0 groups) never matches: deny-all",
    policies: [policy("deny-all", "allow", [])],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "ALLOW with rules: [{}] (one empty rule) matches everything",
    policies: [policy("allow-all", "allow", [rule()])],
    allowed: true,
    reason: "allowed by ns/allow-all",
  },
  {
    name: "DENY with rules: [] is a no-op",
    policies: [policy("noop", "deny", [])],
    allowed: true,
    reason: "no allow policies",
  },
  {
    name: "DENY by principal exact",
    policies: [policy("d", "deny", [rule([m({ principals: [exact("cluster.local/ns/client/sa/sleep")] })])])],
    allowed: false,
    reason: "explicitly denied by ns/d",
  },
  {
    name: "DENY wins over a matching ALLOW",
    policies: [
      policy("a", "allow", [rule()]),
      policy("d", "deny", [rule([m({ namespaces: [exact("client")] })])]),
    ],
    allowed: false,
    reason: "explicitly denied by ns/d",
  },
  {
    name: "ALLOW by namespace prefix",
    policies: [policy("a", "allow", [rule([m({ namespaces: [{ kind: "prefix", value: "cli" }] })])])],
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "ALLOW by namespace: wrong namespace denies",
    policies: [policy("a", "allow", [rule([m({ namespaces: [exact("other")] })])])],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "ALLOW by principal without a peer identity does not match",
    policies: [policy("a", "allow", [rule([m({ principals: [presence] })])])],
    request: { identity: undefined },
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "STRICT: DENY not_principals presence denies plaintext",
    policies: [policy("istio_converted_static_strict", "deny", [rule([m({ notPrincipals: [presence] })])])],
    request: { identity: undefined },
    allowed: false,
    reason: "explicitly denied by ns/istio_converted_static_strict",
  },
  {
    name: "STRICT: DENY not_principals presence lets mTLS through",
    policies: [policy("istio_converted_static_strict", "deny", [rule([m({ notPrincipals: [presence] })])])],
    allowed: true,
    reason: "no allow policies",
  },
  {
    name: "clauses AND: ports AND namespace must both hold",
    policies: [
      policy("a", "allow", [rule([m({ destinationPorts: [8080] })], [m({ namespaces: [exact("client")] })])]),
    ],
    request: { destinationPort: 9090 },
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "matches OR inside a clause",
    policies: [policy("a", "allow", [rule([m({ destinationPorts: [1] }), m({ destinationPorts: [8080] })])])],
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "a clause holding only an empty match never matches",
    policies: [policy("a", "allow", [rule([EMPTY])])],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "fields AND inside a match: port ok but source IP outside CIDR",
    policies: [
      policy("a", "allow", [
        rule([m({ destinationPorts: [8080], sourceIps: [{ ip: "192.168.0.0", length: 16 }] })]),
      ]),
    ],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "source CIDR match",
    policies: [policy("a", "allow", [rule([m({ sourceIps: [{ ip: "10.0.0.0", length: 16 }] })])])],
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "not_destination_ips excludes the pod",
    policies: [policy("a", "allow", [rule([m({ notDestinationIps: [{ ip: "10.0.2.7", length: 32 }] })])])],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "not_destination_ports: other port allowed",
    policies: [policy("a", "allow", [rule([m({ notDestinationPorts: [22] })])])],
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "service account match ignores trust domain",
    policies: [
      policy("a", "allow", [
        rule([m({ serviceAccounts: [{ namespace: "client", serviceAccount: "sleep" }] })]),
      ]),
    ],
    request: { identity: makeIdentity("client", "sleep", "other.domain") },
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "not_service_accounts excludes the caller",
    policies: [
      policy("a", "allow", [
        rule([m({ notServiceAccounts: [{ namespace: "client", serviceAccount: "sleep" }] })]),
      ]),
    ],
    allowed: false,
    reason: "allow policies exist, but none allowed",
  },
  {
    name: "principal suffix match",
    policies: [policy("a", "allow", [rule([m({ principals: [{ kind: "suffix", value: "/sa/sleep" }] })])])],
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "IPv6 destination CIDR",
    policies: [policy("a", "allow", [rule([m({ destinationIps: [{ ip: "fd00::", length: 8 }] })])])],
    request: { destinationIp: "FD00::7" },
    allowed: true,
    reason: "allowed by ns/a",
  },
  {
    name: "dry-run DENY is not enforced",
    policies: [policy("d", "deny", [rule()], { dryRun: true })],
    allowed: true,
    reason: "no allow policies",
  },
  {
    name: "dry-run ALLOW does not make allow policies exist",
    policies: [policy("a", "allow", [], { dryRun: true })],
    allowed: true,
    reason: "no allow policies",
  },
];

describe("evaluateAuthorization (wire-spec §6.2)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluateAuthorization(c.policies, req(c.request));
      assert.equal(d.allowed, c.allowed);
      assert.equal(d.reason, c.reason);
    });
  }
  it("reports dry-run verdicts alongside the enforced decision", () => {
    const d = evaluateAuthorization(
      [policy("d", "deny", [rule()], { dryRun: true }), policy("a", "allow", [rule()])],
      req(),
    );
    assert.equal(d.allowed, true);
    assert.equal(d.policy, "ns/a");
    assert.deepEqual(d.dryRun, [{ policy: "ns/d", action: "deny", matched: true }]);
  });
});
