import { modifyPath } from "../route/rewrite.js";
import type { Layer } from "./types.js";

/** URLRewrite: replace the path (full or matched prefix) and/or the authority before forwarding. */
export const withRewrite: Layer = (next) => (req, ctx) => {
  const w = ctx.route.rewrite;
  if (!w) return next(req, ctx);
  return next(
    {
      ...req,
      path: w.path ? modifyPath(w.path, req.path, ctx.match) : req.path,
      authority: w.hostname ?? req.authority,
    },
    ctx,
  );
};
