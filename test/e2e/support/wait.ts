import assert from "node:assert/strict";

/** Polls `fn` every 250 ms until it returns a value (errors count as "not yet"), or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms: number,
  last?: () => string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end)
      assert.fail(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last()}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The current time as the ISO string ztunnel stamps on access records (for `since` filters). */
export function nowIso(): string {
  return new Date().toISOString();
}
