import type { Readable } from "node:stream";

/** What runs inside a CONNECT tunnel. */
export type TunnelProtocol = "http1" | "http2" | "opaque";

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** Bytes examined before giving up on finding an HTTP/1 request line. */
export const SNIFF_LIMIT = 8192;

const REQUEST_LINE_END = /^[^\r\n]* HTTP\/[0-9.]+\r?$/;

/**
 * Decide from the first bytes of a tunnel: the h2 preface → `http2`; a first line ending in
 * ` HTTP/x.y` → `http1` (even with a bad method: the strict parser then answers 400); no line end
 * yet → `undefined` (need more); anything else → `opaque` (plain L4 proxying). Pure.
 */
export function classifyPrefix(buf: Buffer): TunnelProtocol | undefined {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
    return buf.length >= H2_PREFACE.length ? "http2" : undefined;
  }
  const nl = buf.indexOf(10);
  if (nl < 0) {
    if (buf.length >= SNIFF_LIMIT)
      return /^[A-Za-z!#$%&'*+.^_`|~-]+ /.test(buf.subarray(0, 64).toString("latin1")) ? "http1" : "opaque";
    // Only printable ASCII so far could still become a request line.
    for (const b of buf) if (b < 0x20 && b !== 13) return "opaque";
    return undefined;
  }
  return REQUEST_LINE_END.test(buf.subarray(0, nl).toString("latin1")) ? "http1" : "opaque";
}

/**
 * Watch the first bytes until {@link classifyPrefix} decides (or the stream ends / `timeoutMs`
 * passes: `opaque`, as for server-first protocols) and call `decide` with the bytes seen so far,
 * synchronously inside the same 'data' event: the caller attaches its own reader before the next
 * chunk, so nothing is lost. The stream is never paused or unshifted (an Http2Stream paused
 * mid-sniff made nghttp2 spin on Node 20).
 */
export function sniffProtocol(
  stream: Readable,
  timeoutMs: number,
  decide: (p: TunnelProtocol, head: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let done = false;
  const finish = (p: TunnelProtocol) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("close", onEnd);
    decide(p, Buffer.concat(chunks));
  };
  const onData = (c: Buffer) => {
    chunks.push(c);
    const p = classifyPrefix(Buffer.concat(chunks));
    if (p) finish(p);
  };
  const onEnd = () => finish("opaque");
  const timer = setTimeout(() => finish("opaque"), timeoutMs);
  stream.on("data", onData);
  stream.once("end", onEnd);
  stream.once("close", onEnd);
}
