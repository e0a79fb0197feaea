import { applyHeaderModifier } from "./header-modifier.js";
import type { Handler, L7Request, L7Response, Layer, RequestContext } from "./types.js";

/** Route-level RequestHeaderModifier before the request goes on, ResponseHeaderModifier on the way back. */
export const withHeaderModifiers: Layer = (next) => (req, ctx) => {
  const r = ctx.route;
  // No async frame (promise) for the common route without modifiers.
  if (!r.requestHeaders && !r.responseHeaders) return next(req, ctx);
  return modified(next, req, ctx);
};

async function modified(next: Handler, req: L7Request, ctx: RequestContext): Promise<L7Response> {
  const r = ctx.route;
  const res = await next({ ...req, headers: applyHeaderModifier(req.headers, r.requestHeaders) }, ctx);
  return r.responseHeaders ? { ...res, headers: applyHeaderModifier(res.headers, r.responseHeaders) } : res;
}
