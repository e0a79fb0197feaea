import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import type { AuthorizationPolicyObject, GatewayObject, ServiceObject } from "../sources/config-object.js";

/**
 * AuthorizationPolicy with `targetRefs` → waypoint `L7Policy` (Istio enforces targetRef policies
 * in the waypoint, selector policies in ztunnel). A target is the waypoint's own Gateway (every
 * service it serves) or a Service it serves; policies in other namespaces never apply.
 * Fail closed on fields the waypoint cannot evaluate (ipBlocks, remoteIpBlocks, serviceAccounts,
 * trustDomains): an ALLOW rule using one is dropped (allows less), a DENY rule keeps its other
 * conditions (denies more).
 */

type Spec = AuthorizationPolicyObject["spec"];
type ApRule = NonNullable<Spec["rules"]>[number];
type Source = NonNullable<NonNullable<ApRule["from"]>[number]["source"]>;

const UNSUPPORTED_SOURCE = [
  "ipBlocks",
  "notIpBlocks",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "serviceAccounts",
  "notServiceAccounts",
  "trustDomains",
  "notTrustDomains",
] as const;

function isGatewayRef(ref: { group?: string | undefined; kind: string }): boolean {
  return ref.kind === "Gateway" && (ref.group ?? "gateway.networking.k8s.io") === "gateway.networking.k8s.io";
}

function isServiceRef(ref: { group?: string | undefined; kind: string }): boolean {
  return ref.kind === "Service" && (ref.group ?? "") === "";
}

/** Hostnames the policy targets on this waypoint: [] = all, undefined = not for this waypoint. */
export function policyTargets(
  ap: AuthorizationPolicyObject,
  gw: GatewayObject,
  served: ReadonlyMap<string, ServiceObject>,
  hostOf: (svc: ServiceObject) => string,
): string[] | undefined {
  if (
    ap.metadata.namespace !== gw.metadata.namespace &&
    ![...served.values()].some((s) => s.metadata.namespace === ap.metadata.namespace)
  )
    return undefined;
  const refs = [...(ap.spec.targetRefs ?? []), ...(ap.spec.targetRef ? [ap.spec.targetRef] : [])];
  const hosts = new Set<string>();
  for (const ref of refs) {
    if (isGatewayRef(ref) && ref.name === gw.metadata.name && ap.metadata.namespace === gw.metadata.namespace)
      return [];
    if (isServiceRef(ref)) {
      const svc = served.get(`${ap.metadata.namespace}/${ref.name}`);
      if (svc) hosts.add(hostOf(svc));
    }
  }
  return hosts.size > 0 ? [...hosts].sort() : undefined;
}

function source(s: Source | undefined): pb.waypoint.L7Source {
  return create(pb.waypoint.L7SourceSchema, {
    principals: s?.principals ?? [],
    notPrincipals: s?.notPrincipals ?? [],
    requestPrincipals: s?.requestPrincipals ?? [],
    notRequestPrincipals: s?.notRequestPrincipals ?? [],
    namespaces: s?.namespaces ?? [],
    notNamespaces: s?.notNamespaces ?? [],
  });
}

function usesUnsupported(rule: ApRule): boolean {
  return (rule.from ?? []).some((f) => UNSUPPORTED_SOURCE.some((k) => (f.source?.[k]?.length ?? 0) > 0));
}

/** The L7Policy for one targetRef policy, or undefined for actions a waypoint does not enforce (AUDIT/CUSTOM). */
export function convertL7Policy(
  ap: AuthorizationPolicyObject,
  services: string[],
): pb.waypoint.L7Policy | undefined {
  const action = ap.spec.action;
  if (action !== "ALLOW" && action !== "DENY") return undefined;
  const rules: pb.waypoint.L7Rule[] = [];
  for (const r of ap.spec.rules ?? []) {
    if (action === "ALLOW" && usesUnsupported(r)) continue;
    rules.push(
      create(pb.waypoint.L7RuleSchema, {
        from: (r.from ?? []).map((f) => source(f.source)),
        to: (r.to ?? []).map((t) => {
          const o = t.operation;
          return create(pb.waypoint.L7OperationSchema, {
            hosts: o?.hosts ?? [],
            notHosts: o?.notHosts ?? [],
            methods: o?.methods ?? [],
            notMethods: o?.notMethods ?? [],
            paths: o?.paths ?? [],
            notPaths: o?.notPaths ?? [],
            ports: (o?.ports ?? []).map(Number),
            notPorts: (o?.notPorts ?? []).map(Number),
          });
        }),
        when: (r.when ?? []).map((c) =>
          create(pb.waypoint.L7ConditionSchema, {
            key: c.key,
            values: c.values ?? [],
            notValues: c.notValues ?? [],
          }),
        ),
      }),
    );
  }
  const A = pb.waypoint.L7Policy_Action;
  return create(pb.waypoint.L7PolicySchema, {
    name: `${ap.metadata.namespace}/${ap.metadata.name}`,
    action: action === "ALLOW" ? A.ALLOW : A.DENY,
    rules,
    services,
  });
}
