import type { Readable } from "node:stream";
import type { ClientAddr, Identity } from "@ambit/api";
import type { Listener, Route, RouteMatch, WaypointState } from "../config/types.js";
import type { Random } from "../route/pick.js";
import type { Cancellation } from "./cancel.js";

/** HTTP version spoken inside the tunnel; the waypoint speaks the same one upstream (gRPC needs h2). */
export type HttpProtocol = "http1" | "http2";

/**
 * One HTTP request as the layers see it, version-independent. Layers replace fields by building a
 * new object (`{...req, path}`), never by mutating, so a retry or mirror sees the request as the
 * layers above it left it.
 */
export interface L7Request {
  readonly protocol: HttpProtocol;
  /** Upper-case. */
  readonly method: string;
  readonly path: string;
  /** `?a=b` or "". */
  readonly search: string;
  /** Host (and port, as sent) of `Host`/`:authority`. */
  readonly authority: string;
  /** Lower-case names, without pseudo-headers and hop-by-hop headers. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Streaming body, or the whole body once buffered (retries and mirrors need it). */
  readonly body: Readable | Buffer;
}

/** A response, either from upstream or made locally (redirect, fault abort, errors). */
export interface L7Response {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Readable | Buffer | undefined;
  /** Trailers once the body ended (gRPC status lives here). */
  trailers?(): Readonly<Record<string, string>> | undefined;
  /** Drop an unwanted response (a retried attempt): resets the upstream stream. */
  discard?(): void;
}

/** What the access log and metrics learn while a request passes the layers. */
export interface RequestNotes {
  upstream: string | undefined;
  upstreamService: string | undefined;
  /** Envoy-style response flags (`UF`, `UT`, `URX`, `NR`, `FI`, `DI`, …); "-" when none. */
  flags: string[];
  reason: string | undefined;
  attempts: number;
}

/** Per-request inputs every layer may read. */
export interface RequestContext {
  readonly state: WaypointState;
  readonly listener: Listener;
  readonly route: Route;
  readonly match: RouteMatch;
  /** Service port the tunnel was addressed to. */
  readonly servicePort: number;
  /** Aborted when the client goes away or the request timeout fires. */
  readonly signal: Cancellation;
  readonly rand: Random;
  readonly notes: RequestNotes;
  /** Who sent the tunnel: its verified identity and TCP peer address. */
  readonly peerIdentity: Identity;
  readonly peer: ClientAddr;
}

export type Handler = (req: L7Request, ctx: RequestContext) => Promise<L7Response>;
/** A named stage of the pipeline (style rule 8): wraps the next handler. */
export type Layer = (next: Handler) => Handler;

/** A small local response (text body). */
export function localResponse(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): L7Response {
  const body = Buffer.from(text ? `${text}\n` : "");
  return {
    status,
    headers: { "content-type": "text/plain", "content-length": String(body.length), ...headers },
    body,
  };
}
