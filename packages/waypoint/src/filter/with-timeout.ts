import { Cancel } from "./cancel.js";
import { type Layer, localResponse } from "./types.js";

/**
 * Route `timeouts.request`: the whole exchange (all retries) must have response headers within the
 * limit, else 504 and every in-flight attempt is aborted (flag `UT`). The body after the headers
 * streams without a limit, as for streaming gRPC.
 */
export const withTimeout: Layer = (next) => (req, ctx) => {
  const ms = ctx.route.requestTimeoutMs;
  if (ms <= 0) return next(req, ctx);
  const ac = new Cancel();
  const onAbort = () => ac.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ac.abort(new Error("request timeout"));
      ctx.notes.flags.push("UT");
      ctx.notes.reason = `request timeout after ${ms} ms`;
      resolve(localResponse(504, "upstream request timeout"));
    }, ms);
    next(req, { ...ctx, signal: ac }).then(
      (res) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener("abort", onAbort);
        if (ac.aborted) res.discard?.();
        else resolve(res);
      },
      (e: unknown) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
};
