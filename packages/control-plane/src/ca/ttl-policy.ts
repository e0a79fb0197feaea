/**
 * Workload certificate lifetime policy. Istio's defaults: 24 h when the request says ≤ 0, a
 * maximum of 90 days. Above the maximum we CLAMP (and say so in the log) instead of refusing as
 * istiod does: clients schedule renewal from the issued certificate's own validity, so a shorter
 * certificate is always safe, while refusing would turn a config mismatch (ztunnel asking 24 h, an
 * operator capping at 12 h) into a mesh-wide outage.
 */

export const DEFAULT_WORKLOAD_TTL_SECONDS = 24 * 3600;
export const DEFAULT_MAX_WORKLOAD_TTL_SECONDS = 90 * 24 * 3600;
/** Below this, renewal traffic would dominate; also the floor tests can use. */
export const MIN_WORKLOAD_TTL_SECONDS = 1;

export interface TtlPolicy {
  readonly defaultSeconds: number;
  readonly maxSeconds: number;
}

/** The decided lifetime and whether the request was cut down. */
export interface TtlDecision {
  readonly ttlSeconds: number;
  readonly clamped: boolean;
}

/** Decide the lifetime for a requested `validity_duration` (seconds, int64 on the wire). */
export function decideTtl(requested: bigint | number, policy: TtlPolicy): TtlDecision {
  const req = typeof requested === "bigint" ? requested : BigInt(Math.trunc(requested));
  if (req <= 0n) return { ttlSeconds: Math.min(policy.defaultSeconds, policy.maxSeconds), clamped: false };
  if (req > BigInt(policy.maxSeconds)) return { ttlSeconds: policy.maxSeconds, clamped: true };
  return { ttlSeconds: Math.max(Number(req), MIN_WORKLOAD_TTL_SECONDS), clamped: false };
}
