import { setTimeout as sleep } from "node:timers/promises";
import { type Layer, localResponse } from "./types.js";

/**
 * Fault injection (VirtualService `fault`): delay a percentage of requests, then abort a
 * percentage with a fixed status, before anything is sent upstream. Flags `DI` / `FI` as Envoy does.
 */
export const withFault: Layer = (next) => async (req, ctx) => {
  const f = ctx.route.fault;
  if (!f) return next(req, ctx);
  if (f.delayMs > 0 && ctx.rand() * 100 < f.delayPercent) {
    ctx.notes.flags.push("DI");
    try {
      await sleep(f.delayMs, undefined, { signal: ctx.signal });
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
};
