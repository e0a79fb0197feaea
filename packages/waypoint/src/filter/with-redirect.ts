import { redirectLocation } from "../route/rewrite.js";
import { type Layer, localResponse } from "./types.js";

/** RequestRedirect: answer 301/302 with `Location` locally; the request never goes upstream. */
export const withRedirect: Layer = (next) => (req, ctx) => {
  const r = ctx.route.redirect;
  if (!r) return next(req, ctx);
  const colon = req.authority.lastIndexOf(":");
  const host = colon > 0 && !req.authority.endsWith("]") ? req.authority.slice(0, colon) : req.authority;
  const location = redirectLocation(
    r,
    { scheme: "http", host, port: ctx.servicePort, path: req.path, search: req.search },
    ctx.match,
  );
  ctx.notes.reason = "redirect";
  return Promise.resolve(localResponse(r.statusCode, "", { location }));
};
