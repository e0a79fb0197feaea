import { setTimeout as sleep } from "node:timers/promises";

/** How {@link waitFor} polls; tests differ in how long a start-up may take and how hard to poll. */
export interface WaitForOptions {
  /** Give up after this long (default 20 s: process start-ups on a loaded CI box). */
  readonly timeoutMs?: number;
  /** Pause between polls (default 100 ms). */
  readonly intervalMs?: number;
  /**
   * `"retry"` (default) treats a throwing poll as "not yet" (a port not listening yet refuses the
   * fetch); `"throw"` fails at once, for polls whose errors are real failures.
   */
  readonly onError?: "retry" | "throw";
  /** Extra detail for the timeout message (the last state seen, say). */
  readonly detail?: () => string;
}

/**
 * Polls `poll` until it returns something other than `undefined` and returns that value; rejects
 * with `timed out waiting for <what>` (plus the last poll error or `detail`) after the timeout.
 * One helper so every process/namespace test waits the same way and says what it waited for.
 */
export async function waitFor<T>(
  what: string,
  poll: () => Promise<T | undefined> | T | undefined,
  opts: WaitForOptions = {},
): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await poll();
      if (v !== undefined) return v;
    } catch (e) {
      if (opts.onError === "throw") throw e;
      lastError = e;
    }
    if (Date.now() > until) {
      const why = lastError === undefined ? "" : ` (last error: ${String(lastError)})`;
      const detail = opts.detail ? `: ${opts.detail()}` : "";
      throw new Error(`timed out waiting for ${what}${why}${detail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
