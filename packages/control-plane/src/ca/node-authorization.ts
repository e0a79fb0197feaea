/**
 * Node authorization (Istio's `ImpersonatedIdentity` rule): a ztunnel may obtain a certificate
 * only for an identity of a workload currently scheduled on its own node. Where workloads run is
 * injected as a predicate so the CA never learns about config sources.
 */
import type { Identity } from "@ambit/api";
import { formatIdentity } from "@ambit/api";

/** Answers "is some workload with this identity scheduled on this node right now?". */
export type IsIdentityOnNode = (node: string, identity: Identity) => boolean;

/** A logged, explainable decision. */
export type NodeAuthorization =
  | { readonly allowed: true; readonly node: string; readonly identity: string }
  | { readonly allowed: false; readonly node: string; readonly identity: string; readonly reason: string };

/** Decide; a throwing predicate denies (fail closed) with the error in the reason. */
export function authorizeNode(
  node: string,
  identity: Identity,
  isIdentityOnNode: IsIdentityOnNode,
): NodeAuthorization {
  const id = formatIdentity(identity);
  let onNode: boolean;
  try {
    onNode = isIdentityOnNode(node, identity);
  } catch (e) {
    return {
      allowed: false,
      node,
      identity: id,
      reason: `node ${node} may not obtain a certificate for ${id}: workload lookup failed (${(e as Error).message})`,
    };
  }
  if (onNode) return { allowed: true, node, identity: id };
  return {
    allowed: false,
    node,
    identity: id,
    reason: `node ${node} may not obtain a certificate for ${id}: no workload with that identity is scheduled on the node`,
  };
}
