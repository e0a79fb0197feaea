import type http2 from "node:http2";
import type { WeightedBackend } from "../config/types.js";
import { applyHeaderModifier } from "../filter/header-modifier.js";
import type { Handler, RequestContext } from "../filter/types.js";
import { resetLater } from "../listener/reset-later.js";
import { type EndpointChoice, pickEndpoint, pickWeighted } from "../route/pick.js";
import { WaypointError } from "../waypoint-error.js";
import { weakMemo, weakMemo2 } from "../weak-memo.js";
import { connectEndpoint, type EndpointDialer, endpointAuthority } from "./endpoint-tunnel.js";
import { type Http1Upstream, poolKey } from "./http1-upstream.js";
import { http2Exchange } from "./http2-upstream.js";
import { upstreamProtocol } from "./upstream-protocol.js";

/** What the forwarder needs to originate HBONE as the waypoint. */
export interface ForwarderOptions extends EndpointDialer {
  /** HBONE port of endpoints (15008; tests point it elsewhere through the pool's dialer). */
  readonly hbonePort: number;
  /** Keep-alive HTTP/1.1 tunnels to endpoints (one per waypoint; see {@link Http1Upstream}). */
  readonly http1: Http1Upstream;
}

/**
 * The innermost handler (endpoint level): choose a weighted backend (or the fixed `target`, for
 * mirrors), pick one of its endpoints, open `CONNECT endpointIP:targetPort` through the HBONE
 * pool expecting the endpoint's identity, and run the HTTP exchange in the version
 * {@link upstreamProtocol} picks (the port's declared protocol, else the request's own).
 */
export function createForwarder(
  opts: ForwarderOptions,
  target?: { hostname: string; port: number },
): Handler {
  return async (req, ctx) => {
    let chosen: WeightedBackend | undefined = target && {
      ...target,
      weight: 1,
      requestHeaders: undefined,
      responseHeaders: undefined,
    };
    chosen ??= pickWeighted(ctx.route.backends, ctx.rand);
    if (!chosen) throw new WaypointError("no_backend", `no backend with weight on route ${ctx.route.name}`);
    const backend = ctx.state.backends.get(chosen.hostname);
    if (!target) ctx.notes.upstreamService = chosen.hostname;
    if (!backend)
      throw new WaypointError("no_healthy_upstream", `unknown backend service ${chosen.hostname}`);
    const port = chosen.port || ctx.servicePort;
    const ep = pickEndpoint(backend, port, ctx.rand);
    if (!ep)
      throw new WaypointError("no_healthy_upstream", `no healthy endpoint for ${chosen.hostname}:${port}`);
    const authority = authorityOf(ep);
    if (!target) ctx.notes.upstream = authority;
    const out = chosen.requestHeaders
      ? { ...req, headers: applyHeaderModifier(req.headers, chosen.requestHeaders) }
      : req;
    const res =
      upstreamProtocol(backend, port, req) === "http2"
        ? await http2Exchange(await openTunnel(opts, ep, authority, ctx, chosen.hostname), out, ctx.signal)
        : await opts.http1.exchange(
            {
              address: ep.endpoint.address,
              targetPort: ep.targetPort,
              identity: ep.endpoint.identity,
              hbonePort: opts.hbonePort,
              service: chosen.hostname,
              peer: ctx.peer,
            },
            out,
            ctx.signal,
            endpointPoolKey(ep, opts.hbonePort),
          );
    return chosen.responseHeaders
      ? { ...res, headers: applyHeaderModifier(res.headers, chosen.responseHeaders) }
      : res;
  };
}

/** `ip:port` of a chosen endpoint, formatted once per choice (choices are cached per config). */
const authorityOf = weakMemo((ep: EndpointChoice) =>
  endpointAuthority({ address: ep.endpoint.address, targetPort: ep.targetPort }),
);

/** The keep-alive pool's key of a chosen endpoint, built once per choice (not per request). */
const endpointPoolKey = weakMemo2((ep: EndpointChoice, hbonePort: number) =>
  poolKey({
    address: ep.endpoint.address,
    targetPort: ep.targetPort,
    identity: ep.endpoint.identity,
    hbonePort,
  }),
);

/** A dedicated CONNECT stream (HTTP/2 inside: one h2c session per exchange). */
async function openTunnel(
  opts: ForwarderOptions,
  ep: EndpointChoice,
  authority: string,
  ctx: RequestContext,
  service: string,
): Promise<http2.ClientHttp2Stream> {
  let tunnel: http2.ClientHttp2Stream;
  try {
    tunnel = await connectEndpoint(opts, {
      address: ep.endpoint.address,
      targetPort: ep.targetPort,
      identity: ep.endpoint.identity,
      hbonePort: opts.hbonePort,
      service,
      peer: ctx.peer,
    });
  } catch (e) {
    throw new WaypointError(
      "upstream_connect_failed",
      `upstream connect to ${authority} failed: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (ctx.signal.aborted) {
    resetLater(tunnel);
    throw WaypointError.from(ctx.signal.reason);
  }
  return tunnel;
}
