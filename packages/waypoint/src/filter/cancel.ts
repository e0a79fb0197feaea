/**
 * Per-request cancellation without `AbortController`.
 *
 * Why: on Node 20 every `AbortSignal` survives young-generation GC (measured: a loop that only
 * creates `new AbortController().signal` and drops it promotes ~40 % of what it allocates, while
 * plain objects promote nothing). One controller per request made the waypoint promote ~0.5 MB
 * per scavenge at 1000 rps, which turned 0.3 ms scavenges into 3-4 ms pauses (its p99) and fed
 * the old generation. The request path only ever needs "is it aborted, why, tell me when", so it
 * uses this small structural subset of `AbortSignal`; a real `AbortSignal` still satisfies it
 * (tests and the timeout/retry layers, which are configured per route, pass one).
 */
export interface Cancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** A {@link Cancellation} that can be aborted once; listeners run once, in order, synchronously. */
export class Cancel implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls) for (const l of ls) l();
  }

  /** Like `AbortSignal`: a listener added after the abort is never called. */
  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const ls = this.listeners;
    if (!ls) return;
    const i = ls.indexOf(listener);
    if (i >= 0) ls.splice(i, 1);
  }
}

/** Never aborted (detached work such as mirrored requests). */
export const NEVER_CANCELLED: Cancellation = new Cancel();

/**
 * Resolves after `ms`, or rejects with the cancellation's reason once it is aborted (then the
 * timer is cleared): `timers/promises.sleep` needs a real `AbortSignal`.
 */
export function sleepUnless(ms: number, c: Cancellation): Promise<void> {
  if (c.aborted) return Promise.reject(c.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(c.reason);
    };
    const timer = setTimeout(() => {
      c.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    c.addEventListener("abort", onAbort, { once: true });
  });
}
