import type http from "node:http";
import http2 from "node:http2";
import { type Readable, Transform } from "node:stream";
import type { L7Request, L7Response } from "../filter/types.js";
import { HOP_BY_HOP } from "../upstream/hop-by-hop.js";

/**
 * Request headers to forward: lower-case, no pseudo or hop-by-hop headers (`te: trailers` kept for
 * gRPC). HTTP/1.1 requests get the same rules from `requestHeaderBlock` (http1/head.ts), in the
 * parser's single pass: change them together.
 */
export function forwardable(
  h: http.IncomingHttpHeaders | http2.IncomingHttpHeaders,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    if (k === "te") {
      if (String(v).toLowerCase() === "trailers") out[k] = "trailers";
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Split an origin-form or absolute-form request target; undefined when it is neither. */
export function splitTarget(
  target: string,
): { path: string; search: string; authority?: string } | undefined {
  if (target.startsWith("/")) {
    const q = target.indexOf("?");
    return q < 0 ? { path: target, search: "" } : { path: target.slice(0, q), search: target.slice(q) };
  }
  if (/^https?:\/\//i.test(target)) {
    try {
      const u = new URL(target);
      return { path: u.pathname, search: u.search, authority: u.host };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The request body as a stream that counts what passes (for `istio_request_bytes`) without
 * consuming it: a 'data' listener on the source would put it in flowing mode before the upstream
 * is ready and lose bytes.
 */
export function countBytes(src: Readable): { stream: Readable; bytes(): number } {
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb(null, chunk);
    },
  });
  // A client that goes away mid-body errors `src` ("aborted"); end the copy quietly: the
  // upstream exchange sees the truncated body and the request is logged as aborted.
  src.on("error", () => t.destroy());
  t.on("error", () => {});
  src.pipe(t);
  return { stream: t, bytes: () => n };
}

/** HTTP/2 stream + headers → L7Request (undefined when required pseudo-headers are missing). */
export function fromHttp2(
  stream: Readable,
  h: http2.IncomingHttpHeaders,
  fallbackAuthority: string,
): L7Request | undefined {
  const method = h[":method"];
  const t = splitTarget(String(h[":path"] ?? ""));
  if (typeof method !== "string" || !t) return undefined;
  const authority = h[":authority"] ?? h["host"];
  return {
    protocol: "http2",
    method: method.toUpperCase(),
    path: t.path,
    search: t.search,
    authority: typeof authority === "string" ? authority : fallbackAuthority,
    headers: forwardable(h),
    body: stream,
  };
}

function countBody(body: Readable, onBytes: (n: number) => void): void {
  body.on("data", (c: Buffer) => onBytes(c.length));
}

/** Write an L7Response on an HTTP/2 stream, trailers included (gRPC status). */
export function writeHttp2(stream: http2.ServerHttp2Stream, r: L7Response): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    stream.once("close", () => resolve(bytes));
    if (stream.destroyed || stream.closed) return;
    if (r.body === undefined) {
      // Headers-only (a gRPC trailers-only status): END_STREAM on the HEADERS frame itself.
      try {
        stream.respond(
          { ...(r.headers as http2.OutgoingHttpHeaders), ":status": r.status },
          { endStream: true },
        );
      } catch {
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
      return;
    }
    stream.once("wantTrailers", () => {
      const t = r.trailers?.();
      if (t && Object.keys(t).length > 0) stream.sendTrailers(t);
      else stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    try {
      stream.respond(
        { ...(r.headers as http2.OutgoingHttpHeaders), ":status": r.status },
        { waitForTrailers: true },
      );
    } catch {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (r.body === undefined) stream.end();
    else if (Buffer.isBuffer(r.body)) {
      bytes = r.body.length;
      stream.end(r.body);
    } else {
      const body = r.body;
      countBody(body, (n) => {
        bytes += n;
      });
      body.once("error", () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
      stream.once("close", () => {
        if (!body.readableEnded) body.destroy();
      });
      body.pipe(stream);
    }
  });
}
