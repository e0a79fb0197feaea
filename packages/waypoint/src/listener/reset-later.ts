import http2 from "node:http2";
import type { Duplex } from "node:stream";

const { NGHTTP2_CANCEL } = http2.constants;

/**
 * Reset a tunnel (an `Http2Stream`, or any Duplex) from `setImmediate`, never synchronously.
 *
 * Why: on Node 20, resetting an HTTP/2 stream (`close()`/`destroy()` → RST_STREAM) from code that
 * runs inside that session's receive callback — a 'data'/'end'/'response' handler, or a
 * nextTick queued by one — sends while nghttp2 is still parsing the same read buffer; when later
 * frames of that stream are in the buffer, nghttp2 uses freed stream state and the process spins
 * at 100% CPU with growing memory (seen in `nghttp2_session_mem_send` / `adjust_idle_stream`;
 * upstream fix nodejs/node#64166, not in Node 20). `setImmediate` runs after the poll phase, so
 * the reset is always issued outside any nghttp2 callback. CANCEL is the default code because
 * Node itself also defers CANCEL resets issued in scope.
 */
export function resetLater(stream: Duplex, code: number = NGHTTP2_CANCEL): void {
  if (stream.destroyed) return;
  setImmediate(() => {
    if (stream.destroyed) return;
    // An Http2Stream (it has `rstCode`): RST_STREAM with `code`; anything else: destroy.
    if ("rstCode" in stream && !(stream as http2.Http2Stream).closed)
      (stream as http2.Http2Stream).close(code);
    else stream.destroy();
  });
}
