import { WaypointError } from "../waypoint-error.js";
import { Cancel, sleepUnless } from "./cancel.js";
import type { Handler, L7Request, L7Response, Layer, RequestContext } from "./types.js";

/**
 * Route `retry` + `timeouts.backendRequest`: each attempt gets its own backend timeout; a
 * response whose status is in `codes`, a connect failure or a backend timeout is retried up to
 * `attempts` more times with `backoffMs` between tries (doubling, Envoy-style, capped at 10×).
 * The last failure is returned as is (flag `URX` when retries ran out). Only a buffered body can
 * be re-sent, so a streaming body is never retried.
 */
export const withRetry: Layer = (next) => (req, ctx) => {
  if (!ctx.route.retry && !(ctx.route.backendTimeoutMs > 0)) {
    // Neither retry nor per-try timeout: one attempt, no Cancel/timer per request.
    ctx.notes.attempts = 1;
    return next(req, ctx);
  }
  return retried(next, req, ctx);
};

async function retried(next: Handler, req: L7Request, ctx: RequestContext): Promise<L7Response> {
  const retry = ctx.route.retry;
  const perTry = ctx.route.backendTimeoutMs;
  const retries = retry && Buffer.isBuffer(req.body) ? retry.attempts : 0;
  for (let attempt = 0; ; attempt++) {
    ctx.notes.attempts = attempt + 1;
    const ac = new Cancel();
    const onAbort = () => ac.abort(ctx.signal.reason);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      perTry > 0
        ? setTimeout(
            () =>
              ac.abort(new WaypointError("upstream_timeout", `backend request timeout after ${perTry} ms`)),
            perTry,
          )
        : undefined;
    const last = attempt >= retries;
    try {
      const res = await next(req, { ...ctx, signal: ac });
      if (last || !retry?.codes.has(res.status)) {
        if (last && attempt > 0 && retry?.codes.has(res.status)) ctx.notes.flags.push("URX");
        return res;
      }
      res.discard?.();
    } catch (e) {
      const err = ac.aborted && !ctx.signal.aborted ? WaypointError.from(ac.reason) : WaypointError.from(e);
      if (last || ctx.signal.aborted || !err.retriable) {
        if (last && attempt > 0) ctx.notes.flags.push("URX");
        throw err;
      }
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
    }
    const backoff = Math.min((retry?.backoffMs ?? 25) * 2 ** attempt, (retry?.backoffMs ?? 25) * 10);
    try {
      await sleepUnless(backoff, ctx.signal);
    } catch {
      throw WaypointError.from(ctx.signal.reason);
    }
  }
}
