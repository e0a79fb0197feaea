import { applyHeaderModifier } from "./header-modifier.js";
import type { Layer } from "./types.js";

/** Route-level RequestHeaderModifier before the request goes on, ResponseHeaderModifier on the way back. */
export const withHeaderModifiers: Layer = (next) => async (req, ctx) => {
  const r = ctx.route;
  if (!r.requestHeaders && !r.responseHeaders) return next(req, ctx);
  const res = await next({ ...req, headers: applyHeaderModifier(req.headers, r.requestHeaders) }, ctx);
  return r.responseHeaders ? { ...res, headers: applyHeaderModifier(res.headers, r.responseHeaders) } : res;
};
