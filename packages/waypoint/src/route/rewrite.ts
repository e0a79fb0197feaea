import type { PathModifier, Redirect, RouteMatch } from "../config/types.js";

/**
 * New path for a ReplaceFullPath / ReplacePrefixMatch modifier. A prefix replacement swaps the
 * matched prefix (whole segments) and keeps the rest, never producing `//` or an empty path.
 */
export function modifyPath(mod: PathModifier, path: string, match: RouteMatch): string {
  if (mod.kind === "full") return mod.value || "/";
  const raw = match.path.kind === "prefix" ? match.path.value : "/";
  const prefix = raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw;
  const rest = prefix === "/" ? path : path.slice(prefix.length);
  let out: string;
  if (mod.value.endsWith("/") && rest.startsWith("/")) out = mod.value + rest.slice(1);
  else if (!mod.value.endsWith("/") && rest !== "" && !rest.startsWith("/")) out = `${mod.value}/${rest}`;
  else out = mod.value + rest;
  if (out.length > 1 && out.endsWith("/") && !path.endsWith("/")) out = out.slice(0, -1);
  return out === "" ? "/" : out;
}

/** What a redirect is computed from. */
export interface RedirectInput {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Raw query including `?`, or "". */
  readonly search: string;
}

const WELL_KNOWN: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * `Location` of a RequestRedirect (Gateway API): scheme/host/path replaced when set; the port is
 * the configured one, else the scheme's well-known port when the scheme changes, else the
 * request's; a well-known port is left out of the URL.
 */
export function redirectLocation(r: Redirect, req: RedirectInput, match: RouteMatch): string {
  const scheme = r.scheme ?? req.scheme;
  const host = r.hostname ?? req.host;
  const port = r.port ?? (r.scheme !== undefined ? (WELL_KNOWN[scheme] ?? req.port) : req.port);
  const path = r.path ? modifyPath(r.path, req.path, match) : req.path;
  const hostPort = port === WELL_KNOWN[scheme] ? host : `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return `${scheme}://${hostPort}${path}${req.search}`;
}
