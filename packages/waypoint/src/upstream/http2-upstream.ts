import http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { Cancellation } from "../filter/cancel.js";
import type { L7Request, L7Response } from "../filter/types.js";
import { resetLater } from "../listener/reset-later.js";
import { WaypointError } from "../waypoint-error.js";
import { cleanHeaders } from "./hop-by-hop.js";

const noop = () => {};

function sendBody(body: L7Request["body"], into: NodeJS.WritableStream & { end(b?: Buffer): unknown }): void {
  if (Buffer.isBuffer(body)) into.end(body);
  else body.pipe(into);
}

/**
 * One HTTP/2 exchange (h2c prior knowledge, which gRPC uses) over a CONNECT stream; trailers are
 * kept for the downstream side. The inner session lives exactly as long as the exchange.
 */
export function http2Exchange(tunnel: Duplex, req: L7Request, signal: Cancellation): Promise<L7Response> {
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
