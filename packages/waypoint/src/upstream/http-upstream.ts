import http from "node:http";
import http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { L7Request, L7Response } from "../filter/types.js";
import { resetLater } from "../listener/reset-later.js";
import { WaypointError } from "../waypoint-error.js";
import { type TunnelAgent, TunnelConnectError, type TunnelTarget } from "./tunnel-agent.js";

const noop = () => {};

/** Headers never forwarded hop to hop (RFC 9110 §7.6.1) and never valid in HTTP/2. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "host",
]);

/** Response headers as received, minus pseudo and hop-by-hop headers. */
export function cleanHeaders(
  h: http.IncomingHttpHeaders | http2.IncomingHttpHeaders,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function sendBody(body: L7Request["body"], into: NodeJS.WritableStream & { end(b?: Buffer): unknown }): void {
  if (Buffer.isBuffer(body)) into.end(body);
  else body.pipe(into);
}

function upstreamError(e: unknown, signal: AbortSignal): WaypointError {
  if (signal.aborted) return WaypointError.from(signal.reason);
  if (e instanceof TunnelConnectError)
    return new WaypointError("upstream_connect_failed", e.message, { cause: e.reason });
  return new WaypointError("upstream_reset", `upstream reset: ${String((e as Error)?.message ?? e)}`, {
    cause: e,
  });
}

/**
 * One HTTP/1.1 exchange with an endpoint through the {@link TunnelAgent}: the request reuses an
 * idle keep-alive CONNECT stream to that endpoint or opens one. A reused tunnel the backend
 * closed just before our request (the keep-alive race) is retried once on a fresh tunnel when no
 * request body byte was sent.
 */
export function http1Exchange(
  agent: TunnelAgent,
  target: TunnelTarget,
  req: L7Request,
  signal: AbortSignal,
): Promise<L7Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | readonly string[]> = { ...req.headers, host: req.authority };
    let bodyBytes = 0;
    if (!Buffer.isBuffer(req.body))
      req.body.on("data", (c: Buffer) => {
        bodyBytes += c.length;
      });
    const attempt = (retried: boolean) => {
      const r = http.request({
        method: req.method,
        path: req.path + req.search,
        headers: headers as http.OutgoingHttpHeaders,
        setHost: false,
        agent,
        tunnel: target,
      } as http.RequestOptions);
      let failed = false;
      const onAbort = () => r.destroy(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        signal.removeEventListener("abort", onAbort);
        const replayable = Buffer.isBuffer(req.body) || (req.body.readableEnded && bodyBytes === 0);
        if (
          !retried &&
          r.reusedSocket &&
          !signal.aborted &&
          replayable &&
          !(e instanceof TunnelConnectError)
        ) {
          attempt(true);
          return;
        }
        reject(upstreamError(e, signal));
      };
      r.on("error", fail);
      r.once("response", (res) => {
        signal.removeEventListener("abort", onAbort);
        r.off("error", fail);
        r.on("error", noop);
        res.on("error", noop);
        resolve({
          status: res.statusCode ?? 502,
          headers: cleanHeaders(res.headers),
          body: res,
          discard: () => res.destroy(),
        });
      });
      if (Buffer.isBuffer(req.body)) r.end(req.body);
      else if (retried) r.end();
      else req.body.pipe(r);
    };
    attempt(false);
  });
}

/**
 * One HTTP/2 exchange (h2c prior knowledge, which gRPC uses) over a CONNECT stream; trailers are
 * kept for the downstream side. The inner session lives exactly as long as the exchange.
 */
export function http2Exchange(tunnel: Duplex, req: L7Request, signal: AbortSignal): Promise<L7Response> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${req.authority}`, { createConnection: () => tunnel });
    session.on("error", noop);
    const headers: http2.OutgoingHttpHeaders = {
      ...(req.headers as http2.OutgoingHttpHeaders),
      ":method": req.method,
      ":path": req.path + req.search,
      ":authority": req.authority,
      ":scheme": "http",
    };
    const empty = Buffer.isBuffer(req.body) && req.body.length === 0;
    const s = session.request(headers, { endStream: empty });
    let trailers: Record<string, string> | undefined;
    const close = () => {
      session.close();
      resetLater(tunnel);
    };
    const fail = (e: unknown) => {
      s.close(http2.constants.NGHTTP2_CANCEL);
      close();
      reject(
        signal.aborted
          ? WaypointError.from(signal.reason)
          : new WaypointError("upstream_reset", `upstream reset: ${String((e as Error)?.message ?? e)}`, {
              cause: e,
            }),
      );
    };
    const onAbort = () => fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    s.once("error", fail);
    s.once("close", () => {
      close();
      if (!settled) fail(new Error(`stream closed (code ${s.rstCode})`));
    });
    let settled = false;
    s.on("trailers", (t) => {
      trailers = cleanHeaders(t) as Record<string, string>;
    });
    s.once("response", (h, flags) => {
      settled = true;
      // Trailers-only answer (gRPC errors): END_STREAM on the headers, no body, no trailers.
      const headersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      signal.removeEventListener("abort", onAbort);
      s.off("error", fail);
      s.on("error", noop);
      resolve({
        status: Number(h[":status"] ?? 502),
        headers: cleanHeaders(h),
        body: headersOnly ? undefined : s,
        trailers: () => trailers,
        discard: () => {
          s.close(http2.constants.NGHTTP2_CANCEL);
          close();
        },
      });
    });
    if (!empty) sendBody(req.body, s);
  });
}
