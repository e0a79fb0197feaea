import http2 from "node:http2";
import type net from "node:net";

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = http2.constants;

/** How a socket↔stream copy ended, for access logs and metrics. */
export type PipeOutcome =
  /** Both directions finished (FIN/END_STREAM), or the peer reset with NO_ERROR/CANCEL. */
  | "clean"
  /** The TCP side failed (reset, timeout). */
  | "socket_error"
  /** The stream was reset with an error code or the HTTP/2 session died. */
  | "stream_error";

export interface PipeResult {
  /** Bytes read from the socket and sent into the stream. */
  readonly toStream: number;
  /** Bytes received from the stream and written to the socket. */
  readonly toSocket: number;
  readonly outcome: PipeOutcome;
  /** RST_STREAM code seen on the stream (0 = NO_ERROR). */
  readonly rstCode: number | undefined;
  readonly error: Error | undefined;
}

/**
 * Copy bytes both ways between a TCP socket and an HTTP/2 stream with half-close semantics
 * (wire-spec §1.5): socket FIN ⇒ END_STREAM, END_STREAM ⇒ FIN; a peer RST_STREAM NO_ERROR/CANCEL
 * is a clean EOF, other codes are a broken pipe. Uses Node's own `pipe` (backpressure, no extra
 * per-chunk work); byte counts come from the socket's counters. Resolves once both sides closed.
 */
export function pipeSocketStream(socket: net.Socket, stream: http2.Http2Stream): Promise<PipeResult> {
  socket.allowHalfOpen = true;
  return new Promise((resolve) => {
    let error: Error | undefined;
    let outcome: PipeOutcome = "clean";
    let socketClosed = socket.destroyed;
    let streamClosed = stream.closed || stream.destroyed;
    const finish = () => {
      if (!socketClosed || !streamClosed) return;
      resolve({
        toStream: socket.bytesRead,
        toSocket: socket.bytesWritten,
        outcome,
        rstCode: stream.rstCode,
        error,
      });
    };
    socket.on("error", (e) => {
      error ??= e;
      if (outcome === "clean") outcome = "socket_error";
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    });
    stream.on("error", (e: Error) => {
      error ??= e;
    });
    socket.once("close", () => {
      socketClosed = true;
      // The app went away: nothing more can be delivered either way.
      if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
      finish();
    });
    stream.once("close", () => {
      streamClosed = true;
      const code = stream.rstCode;
      const clean = code === undefined || code === NGHTTP2_NO_ERROR || code === NGHTTP2_CANCEL;
      if (!clean && outcome === "clean") outcome = "stream_error";
      socket.unpipe(stream);
      if (clean) {
        // Clean EOF: flush what we have to the app, FIN, and stop reading (nowhere to send it).
        if (!socket.destroyed) {
          socket.end();
          socket.once("finish", () => socket.destroy());
        }
      } else {
        abortSocket(socket);
      }
      finish();
    });
    if (socketClosed || streamClosed) {
      if (!socket.destroyed) socket.destroy();
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    }
    socket.pipe(stream);
    stream.pipe(socket);
    finish();
  });
}

/**
 * Close a socket with RST when possible. libuv refuses a reset once a shutdown (FIN) was requested
 * (`uv_tcp_close_reset` → EINVAL) and Node then never emits 'close' and keeps the fd, so a socket
 * we already ended is destroyed normally instead.
 */
export function abortSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded || socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
