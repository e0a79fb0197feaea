import http from "node:http";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { jsDuplex } from "../listener/no-writev.js";
import {
  connectEndpoint,
  type EndpointDialer,
  endpointAuthority,
  type TunnelTarget,
} from "./endpoint-tunnel.js";

export type { TunnelTarget } from "./endpoint-tunnel.js";

export interface TunnelAgentOptions extends EndpointDialer {
  /** Idle tunnels kept per endpoint (default 64). */
  readonly maxIdlePerEndpoint?: number;
  /**
   * How long an idle tunnel is kept (default 4 s: below the 5 s keep-alive timeout of Node's and
   * many other HTTP servers, so the backend rarely closes a tunnel we are about to reuse).
   */
  readonly idleMs?: number;
}

/** Socket-like methods `http.Agent` calls on pooled sockets; a JS Duplex lacks them. */
function socketLike(d: Duplex): net.Socket {
  let timer: NodeJS.Timeout | undefined;
  let ms = 0;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = ms > 0 ? setTimeout(() => d.emit("timeout"), ms) : undefined;
    timer?.unref();
  };
  d.on("data", () => {
    if (ms > 0) arm();
  });
  d.once("close", () => {
    if (timer !== undefined) clearTimeout(timer);
  });
  return Object.assign(d, {
    setKeepAlive: () => d,
    setNoDelay: () => d,
    ref: () => d,
    unref: () => d,
    setTimeout(t: number, cb?: () => void) {
      ms = t;
      (d as unknown as { timeout: number }).timeout = t;
      // Like net.Socket: 0 removes the callback, anything else adds it once.
      if (cb && t === 0) d.removeListener("timeout", cb);
      else if (cb) d.once("timeout", cb);
      arm();
      return d;
    },
  }) as unknown as net.Socket;
}

/**
 * HTTP/1.1 keep-alive INSIDE upstream HBONE tunnels: an `http.Agent` whose "connections" are
 * CONNECT streams to `endpointIP:targetPort` (as the waypoint identity, expecting the endpoint's),
 * so consecutive requests to the same endpoint reuse one CONNECT stream instead of opening one
 * per request (each costs a CONNECT round trip, an h2 stream on both sides and, at the
 * destination ztunnel, a new TCP connection to the app). Tunnels are keyed by endpoint authority
 * + identity; an idle tunnel is dropped after `idleMs`, and when the backend ends it.
 * The `Forwarded` header of the CONNECT carries the first request's client; later requests on
 * the same tunnel keep their own `x-forwarded-*`/identity headers (HTTP-level), as with Envoy's
 * upstream connection pools.
 */
export class TunnelAgent extends http.Agent {
  constructor(private readonly opts: TunnelAgentOptions) {
    super({
      keepAlive: true,
      maxFreeSockets: opts.maxIdlePerEndpoint ?? 64,
      timeout: opts.idleMs ?? 4_000,
      scheduling: "lifo",
    });
  }

  override getName(options?: http.ClientRequestArgs): string {
    const t = (options as { tunnel?: TunnelTarget } | undefined)?.tunnel;
    return t ? `${t.address}|${t.targetPort}|${t.identity}|${t.hbonePort}` : "invalid";
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): undefined {
    // http.Agent always passes the callback (asynchronous creation).
    const cb = callback as (err: Error | null, stream?: Duplex) => void;
    const t = (options as { tunnel?: TunnelTarget }).tunnel;
    if (!t) {
      cb(new Error("tunnel agent: request without a tunnel target"));
      return undefined;
    }
    connectEndpoint(this.opts, t).then(
      (stream) => cb(null, socketLike(jsDuplex(stream, undefined, { allowHalfOpen: false }))),
      (e: unknown) => cb(new TunnelConnectError(endpointAuthority(t), e)),
    );
    return undefined;
  }
}

/** The CONNECT itself failed (vs. the exchange on an open tunnel): 503 UF rather than UC. */
export class TunnelConnectError extends Error {
  constructor(
    authority: string,
    readonly reason: unknown,
  ) {
    super(`upstream connect to ${authority} failed: ${(reason as Error)?.message ?? String(reason)}`, {
      cause: reason,
    });
  }
}
