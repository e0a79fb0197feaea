import { sleepUnless } from "./cancel.js";
import {
  type Handler,
  type L7Request,
  type L7Response,
  type Layer,
  localResponse,
  type RequestContext,
} from "./types.js";

/**
 * Fault injection (VirtualService `fault`): delay a percentage of requests, then abort a
 * percentage with a fixed status, before anything is sent upstream. Flags `DI` / `FI` as Envoy does.
 */
export const withFault: Layer = (next) => (req, ctx) => {
  const f = ctx.route.fault;
  // No async frame (promise) for the common route without faults.
  return f ? faulted(f, next, req, ctx) : next(req, ctx);
};

async function faulted(
  f: NonNullable<RequestContext["route"]["fault"]>,
  next: Handler,
  req: L7Request,
  ctx: RequestContext,
): Promise<L7Response> {
  if (f.delayMs > 0 && ctx.rand() * 100 < f.delayPercent) {
    ctx.notes.flags.push("DI");
    try {
      await sleepUnless(f.delayMs, ctx.signal);
    } catch {
      // Aborted: the timeout layer or the client decides what happens next.
    }
  }
  if (f.abortStatus > 0 && ctx.rand() * 100 < f.abortPercent) {
    ctx.notes.flags.push("FI");
    ctx.notes.reason = "fault_abort";
    return localResponse(f.abortStatus, "fault filter abort");
  }
  return next(req, ctx);
}
