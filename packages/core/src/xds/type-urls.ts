/**
 * Type URLs of the workload discovery API (wire-spec §3.2). One table, so the server's generator
 * registry, the client's subscriptions and the Any payload checks can never disagree on a string.
 */
export const TypeUrl = {
  /** `istio.workload.Address` (Workload | Service); ztunnel subscribes wildcard (or on demand). */
  address: "type.googleapis.com/istio.workload.Address",
  /** `istio.security.Authorization`; ztunnel always subscribes wildcard. */
  authorization: "type.googleapis.com/istio.security.Authorization",
  /** Bare `istio.workload.Workload`; served by istiod, not subscribed by ztunnel. */
  workload: "type.googleapis.com/istio.workload.Workload",
} as const;

export type KnownTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** The name a client puts in `resource_names_subscribe` to ask for every resource of a type. */
export const WILDCARD = "*";

/** Short, log-friendly form of a type URL (`istio.workload.Address`). */
export function shortTypeUrl(typeUrl: string): string {
  const idx = typeUrl.lastIndexOf("/");
  return idx >= 0 ? typeUrl.slice(idx + 1) : typeUrl;
}
