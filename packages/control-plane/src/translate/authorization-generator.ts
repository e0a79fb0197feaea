import * as pb from "@ambit/api/pb";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator, XdsResource } from "../model/xds-generator.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { convertAuthorizationPolicy } from "./authorization.js";
import { convertedPeerAuthentications, mtlsMode, staticStrictPolicy } from "./peer-authentication.js";
import { toXdsResource } from "./resource.js";

export const AUTHORIZATION_TYPE_URL = "type.googleapis.com/istio.security.Authorization";

/**
 * Every policy ztunnel needs, named `ns/name`: converted AuthorizationPolicies (those istiod would
 * send), converted port-level PeerAuthentications, and the static STRICT policy whenever any
 * PeerAuthentication exists (as istiod does, so workloads can reference it).
 */
export const authorizationGenerator = {
  typeUrl: AUTHORIZATION_TYPE_URL,
  generate(s: ConfigSnapshot): ReadonlyMap<string, XdsResource> {
    const policies: pb.security.Authorization[] = [];
    for (const ap of s.authorizationPolicies.values()) {
      const { authorization } = convertAuthorizationPolicy(ap, s.mesh);
      if (authorization) policies.push(authorization);
    }
    policies.push(...convertedPeerAuthentications(s).values());
    if (s.peerAuthentications.size > 0) policies.push(staticStrictPolicy(s.mesh));
    const out = policies
      .map((p) => toXdsResource(`${p.namespace}/${p.name}`, [], pb.security.AuthorizationSchema, p))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new Map(out.map((r) => [r.name, r]));
  },
} satisfies XdsGenerator<ConfigSnapshot>;

/**
 * Translation warnings for a snapshot (AUDIT/CUSTOM not sent, HTTP attributes in L4 policies,
 * dry-run disabled, DISABLE PeerAuthentication): the data behind the status endpoint. Computed
 * on demand so generators stay single-purpose; cost is one pass over the policies.
 */
export function translationIssues(s: ConfigSnapshot): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const ap of s.authorizationPolicies.values())
    issues.push(...convertAuthorizationPolicy(ap, s.mesh).issues);
  for (const pa of s.peerAuthentications.values()) {
    const disabled =
      mtlsMode(pa) === "DISABLE" ||
      Object.values(pa.spec.portLevelMtls ?? {}).some((m) => m.mode === "DISABLE");
    if (!disabled) continue;
    issues.push({
      severity: "warning",
      code: "ignored_peer_authentication",
      message: "mTLS mode DISABLE is treated as PERMISSIVE in ambient: HBONE traffic is always mTLS",
      origin: "translate",
      kind: "PeerAuthentication",
      namespace: pa.metadata.namespace,
      name: pa.metadata.name,
      ...(pa.origin ? { location: pa.origin } : {}),
    });
  }
  return issues;
}
