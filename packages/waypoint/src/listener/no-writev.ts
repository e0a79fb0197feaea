import { Duplex } from "node:stream";
import { resetLater } from "./reset-later.js";

/**
 * A plain JavaScript Duplex in front of an HTTP/2 stream (the CONNECT tunnel). Node's HTTP/1
 * server and client special-case sockets that carry a native StreamBase handle (`_handle`): the
 * server's parser then consumes the handle directly, and its `_writev` path corks header text and
 * body together. On an `Http2Stream` handle both misbehave on Node 20 (corrupted status lines,
 * a stalled event loop after a dozen requests). This wrapper has no handle, so they fall back to
 * plain `data` events. Backpressure and half-close are carried through.
 * Chunks queued while a write is in flight (the HTTP/1 response head and body, which Node writes
 * separately) go out as ONE write (`writev` concatenates them): one DATA frame, one TLS record and
 * one send instead of one each per chunk, and the body does not wait for the head's write to
 * complete (a full event-loop turn later) before it is sent.
 * `head`: bytes already read from `inner` (by the protocol sniffer) that come first.
 */
export function jsDuplex(inner: Duplex, head?: Buffer): Duplex {
  // Writing to an Http2Stream the peer already reset made nghttp2 spin (100% CPU) on Node 20:
  // never write or end once the inner stream is gone.
  let dead = false;
  inner.once("aborted", () => {
    dead = true;
  });
  const gone = () => dead || inner.destroyed || (inner as Duplex & { closed?: boolean }).closed === true;
  const outer = new Duplex({
    // Half-close is carried through: either side may end its direction first.
    allowHalfOpen: true,
    read() {
      inner.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (gone()) return cb(new Error("tunnel closed"));
      inner.write(chunk, cb);
    },
    writev(chunks: { chunk: Buffer }[], cb) {
      if (gone()) return cb(new Error("tunnel closed"));
      const one = chunks.length === 1 ? chunks[0]?.chunk : Buffer.concat(chunks.map((c) => c.chunk));
      inner.write(one ?? Buffer.alloc(0), cb);
    },
    final(cb) {
      if (!gone()) inner.end();
      cb();
    },
    destroy(err, cb) {
      // Often called from inside the tunnel's own receive path (parser error, response end).
      resetLater(inner);
      cb(err);
    },
  });
  if (head && head.length > 0) outer.push(head);
  if (inner.readableEnded) outer.push(null);
  inner.on("data", (c: Buffer) => {
    if (!outer.push(c)) inner.pause();
  });
  inner.once("end", () => outer.push(null));
  inner.on("error", (e) => outer.destroy(e));
  inner.once("close", () => {
    if (!outer.destroyed) outer.destroy();
  });
  return outer;
}
