import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import type { Duplex } from "node:stream";
import type { L7Request, L7Response } from "../filter/types.js";
import { jsDuplex } from "../listener/no-writev.js";
import { resetLater } from "../listener/reset-later.js";
import { WaypointError } from "../waypoint-error.js";

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

/**
 * One HTTP/1.1 exchange over an already-open CONNECT stream. The stream carries exactly this
 * request and is closed when the response ends (no keep-alive inside a tunnel: a new CONNECT on a
 * pooled HTTP/2 connection is cheap).
 */
export function http1Exchange(tunnel: Duplex, req: L7Request, signal: AbortSignal): Promise<L7Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | readonly string[]> = { ...req.headers, host: req.authority };
    const r = http.request({
      method: req.method,
      path: req.path + req.search,
      headers: headers as http.OutgoingHttpHeaders,
      setHost: false,
      createConnection: () => jsDuplex(tunnel) as net.Socket,
    });
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      resetLater(tunnel);
      reject(
        signal.aborted
          ? WaypointError.from(signal.reason)
          : new WaypointError("upstream_reset", `upstream reset: ${String((e as Error)?.message ?? e)}`, {
              cause: e,
            }),
      );
    };
    const onAbort = () => {
      r.destroy();
      fail(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    r.on("error", fail);
    r.once("response", (res) => {
      signal.removeEventListener("abort", onAbort);
      r.off("error", fail);
      r.on("error", noop);
      res.on("error", noop);
      const done = () => resetLater(tunnel);
      res.once("end", done);
      res.once("close", done);
      resolve({
        status: res.statusCode ?? 502,
        headers: cleanHeaders(res.headers),
        body: res,
        discard: () => {
          res.destroy();
          resetLater(tunnel);
        },
      });
    });
    sendBody(req.body, r);
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
