import * as pb from "@ambit/api/pb";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { EmptySchema } from "@bufbuild/protobuf/wkt";
import { hasEntries, selectorMatches } from "../model/labels.js";
import type { MeshConfig } from "../model/mesh-config.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { PeerAuthenticationObject, PodObject } from "../sources/config-object.js";

/**
 * PeerAuthentication in ambient (docs/architecture/control-plane.md, "PeerAuthentication"): only
 * STRICT matters — HBONE is always mTLS, so PERMISSIVE and DISABLE both mean "plaintext allowed".
 * STRICT becomes a DENY of connections without a peer identity (`not_principals: [presence]`).
 * Whole-workload STRICT points at one shared static policy; port-level settings need a per-PA
 * policy, because a DENY cannot be excepted by another policy (any matching DENY wins).
 */

export const STATIC_STRICT_POLICY = "istio_converted_static_strict";
export const CONVERTED_PA_PREFIX = "converted_peer_authentication_";

type Mode = "UNSET" | "PERMISSIVE" | "STRICT" | "DISABLE";

export function mtlsMode(pa: PeerAuthenticationObject | undefined): Mode {
  return pa?.spec.mtls?.mode ?? "UNSET";
}

function hasSelector(pa: PeerAuthenticationObject): boolean {
  return hasEntries(pa.spec.selector?.matchLabels);
}

/** Conflicts resolve to the oldest policy (creationTimestamp, then name), as in Istio. */
function oldest(list: readonly PeerAuthenticationObject[]): PeerAuthenticationObject | undefined {
  let best: PeerAuthenticationObject | undefined;
  const rank = (p: PeerAuthenticationObject) => `${p.metadata.creationTimestamp ?? "~"}|${p.metadata.name}`;
  for (const p of list) if (!best || rank(p) < rank(best)) best = p;
  return best;
}

/** The namespace-wide (selector-less) policy in force for `ns`, if any. */
export function namespacePolicy(s: ConfigSnapshot, ns: string): PeerAuthenticationObject | undefined {
  return oldest(s.peerAuthenticationsIn(ns).filter((p) => !hasSelector(p)));
}

/** Namespace mode if set, else the mesh (root namespace) mode; UNSET inherits. */
function parentStrict(
  nsCfg: PeerAuthenticationObject | undefined,
  rootCfg: PeerAuthenticationObject | undefined,
) {
  const nsMode = mtlsMode(nsCfg);
  if (nsMode !== "UNSET") return nsMode === "STRICT";
  return mtlsMode(rootCfg) === "STRICT";
}

const presence = () => [
  create(pb.security.StringMatchSchema, { matchType: { case: "presence", value: create(EmptySchema) } }),
];
const rule = (...matches: MessageInitShape<typeof pb.security.MatchSchema>[]) =>
  create(pb.security.RuleSchema, {
    clauses: matches.map((m) =>
      create(pb.security.ClauseSchema, { matches: [create(pb.security.MatchSchema, m)] }),
    ),
  });

/** `<root>/istio_converted_static_strict`: DENY anything without a peer identity. */
export function staticStrictPolicy(mesh: MeshConfig): pb.security.Authorization {
  return create(pb.security.AuthorizationSchema, {
    name: STATIC_STRICT_POLICY,
    namespace: mesh.rootNamespace,
    scope: pb.security.Scope.WORKLOAD_SELECTOR,
    action: pb.security.Action.DENY,
    rules: [rule({ notPrincipals: presence() })],
  });
}

/**
 * The per-PA policy for a workload-selector PA with port-level settings, or undefined when the
 * static policy (or nothing) expresses it. With an effective STRICT top level, each PERMISSIVE/
 * DISABLE port is an exception: one rule `notPrincipals:[presence] AND notDestinationPorts:[p1]
 * AND …`. With a non-STRICT top level, each STRICT port is its own rule
 * `notPrincipals:[presence], destinationPorts:[p]`.
 */
export function convertPeerAuthentication(
  pa: PeerAuthenticationObject,
  nsCfg: PeerAuthenticationObject | undefined,
  rootCfg: PeerAuthenticationObject | undefined,
  mesh: MeshConfig,
): pb.security.Authorization | undefined {
  const levels = pa.spec.portLevelMtls;
  if (pa.metadata.namespace === mesh.rootNamespace || !hasSelector(pa) || !levels) return undefined;
  const mode = mtlsMode(pa);
  const topStrict = mode === "STRICT" || (mode === "UNSET" && parentStrict(nsCfg, rootCfg));
  const rules: pb.security.Rule[] = [];
  const exempt: number[] = [];
  const portsSorted = Object.keys(levels)
    .map(Number)
    .sort((a, b) => a - b);
  for (const port of portsSorted) {
    const portMode = levels[String(port)]?.mode ?? "UNSET";
    if (portMode === "STRICT" && !topStrict) {
      rules.push(rule({ notPrincipals: presence(), destinationPorts: [port] }));
    } else if ((portMode === "PERMISSIVE" || portMode === "DISABLE") && topStrict) {
      exempt.push(port);
    }
  }
  if (exempt.length > 0) {
    rules.push(rule({ notPrincipals: presence() }, ...exempt.map((p) => ({ notDestinationPorts: [p] }))));
  }
  if (rules.length === 0) return undefined;
  return create(pb.security.AuthorizationSchema, {
    name: CONVERTED_PA_PREFIX + pa.metadata.name,
    namespace: pa.metadata.namespace,
    scope: pb.security.Scope.WORKLOAD_SELECTOR,
    action: pb.security.Action.DENY,
    rules,
  });
}

/** Every converted per-PA policy of the snapshot, keyed `ns/name`. */
export function convertedPeerAuthentications(s: ConfigSnapshot): Map<string, pb.security.Authorization> {
  const out = new Map<string, pb.security.Authorization>();
  const rootCfg = namespacePolicy(s, s.mesh.rootNamespace);
  for (const pa of s.peerAuthentications.values()) {
    const ns = pa.metadata.namespace;
    const converted = convertPeerAuthentication(pa, namespacePolicy(s, ns), rootCfg, s.mesh);
    if (converted) out.set(`${ns}/${converted.name}`, converted);
  }
  return out;
}

/**
 * Policy keys a workload must reference for its effective PeerAuthentication: the converted
 * per-PA policy when its workload PA has one, else the static STRICT policy when the effective
 * mode is STRICT, else nothing.
 */
export function peerAuthenticationKeys(s: ConfigSnapshot, pod: PodObject): string[] {
  if (s.peerAuthentications.size === 0) return [];
  const ns = pod.metadata.namespace;
  const root = s.mesh.rootNamespace;
  const rootCfg = namespacePolicy(s, root);
  const nsCfg = ns === root ? undefined : namespacePolicy(s, ns);
  const workloadCfg =
    ns === root
      ? undefined
      : oldest(
          s
            .peerAuthenticationsIn(ns)
            .filter(
              (p) =>
                hasSelector(p) && selectorMatches(p.spec.selector?.matchLabels ?? {}, pod.metadata.labels),
            ),
        );
  const wlMode = mtlsMode(workloadCfg);
  const topStrict = wlMode !== "UNSET" ? wlMode === "STRICT" : parentStrict(nsCfg, rootCfg);
  const converted = workloadCfg ? convertPeerAuthentication(workloadCfg, nsCfg, rootCfg, s.mesh) : undefined;
  if (converted) return [`${ns}/${converted.name}`];
  return topStrict ? [`${root}/${STATIC_STRICT_POLICY}`] : [];
}
