/**
 * When to renew and how long to wait after a failure (wire-spec §4, ztunnel's numbers): renew at
 * half of the lifetime; on failure back off exponentially from 500 ms, ×2 per attempt, ±20 %
 * jitter, never more than 150 s (the cap is applied after the jitter, so it is a hard bound).
 */

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly multiplier: number;
  /** Fraction: 0.2 means ±20 %. */
  readonly jitter: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 500,
  multiplier: 2,
  jitter: 0.2,
  maxMs: 150_000,
});

/** Instant (ms epoch) at which a certificate valid over [notBefore, notAfter] is renewed. */
export function refreshAt(notBefore: Date, notAfter: Date): number {
  return notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2;
}

/**
 * Delay before retry number `attempt` (1 = first retry). `random` in [0, 1) picks the jitter, so
 * the function is pure and table-testable.
 */
export function backoffDelay(attempt: number, random: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exp = Math.max(0, attempt - 1);
  const base = Math.min(p.maxMs, p.initialMs * p.multiplier ** exp);
  const jittered = base * (1 + p.jitter * (2 * random - 1));
  return Math.round(Math.min(p.maxMs, Math.max(0, jittered)));
}
