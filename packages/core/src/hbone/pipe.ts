import http2 from "node:http2";
import type net from "node:net";
import type { Readable, Writable } from "node:stream";

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
 * is a clean EOF, other codes are a broken pipe. Copies with {@link forward} (batched writes,
 * backpressure); byte counts come from the socket's counters. Resolves once both sides closed.
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
    // 'close' fires once; `on` skips the wrapper `once` allocates per listener.
    socket.on("close", () => {
      socketClosed = true;
      // The app went away: nothing more can be delivered either way.
      if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
      finish();
    });
    stream.on("close", () => {
      streamClosed = true;
      const code = stream.rstCode;
      const clean = code === undefined || code === NGHTTP2_NO_ERROR || code === NGHTTP2_CANCEL;
      if (!clean && outcome === "clean") outcome = "stream_error";
      stopUp();
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
    const stopUp = forward(socket, stream);
    forward(stream, socket);
    finish();
  });
}

/**
 * Bytes a {@link forward} destination may buffer before the source is paused. Node's default
 * (16 KiB) pauses the source after every 64 KiB socket read or 16 KiB DATA frame, which costs a
 * readStop/readStart (epoll_ctl) pair per chunk; the HTTP/2 windows already allow 4 MiB in flight.
 */
export const FORWARD_HIGH_WATER = 256 * 1024;

/** Chunks at least this large (bulk transfer: full DATA frames, 64 KiB reads) start a batch. */
const FORWARD_BATCH_MIN = 8 * 1024;

/** State of one {@link forward}: one small object instead of a closure per handler. */
class Forward {
  corked = false;
  paused = false;
  onDrain: (() => void) | undefined;
  constructor(
    readonly src: Readable,
    readonly dst: Writable,
  ) {}
}

function uncorkForward(f: Forward): void {
  f.corked = false;
  if (!f.dst.destroyed) f.dst.uncork();
}

function resumeForward(f: Forward): void {
  f.paused = false;
  f.src.resume();
}

/**
 * Copy `src` into `dst` like `src.pipe(dst)` (backpressure; `dst.end()` on `src` end), but write
 * everything that arrives in one event-loop turn with one `writev`: the destination is corked on
 * the first chunk and uncorked in `setImmediate`, after the poll phase has delivered every chunk
 * it read (e.g. the four 16 KiB DATA frames of one TLS read become one syscall instead of four).
 * Only bulk-sized chunks start a batch; small ones are written at once.
 * Returns a function that stops copying (the destination is left as is).
 *
 * Per copy it allocates one state object and two listeners; the drain listener exists only while
 * paused. An idle proxied connection holds four of these, so that is what it costs at rest.
 */
export function forward(src: Readable, dst: Writable): () => void {
  const f = new Forward(src, dst);
  const onData = (chunk: Buffer) => {
    if (dst.destroyed || dst.writableEnded) return;
    // Small chunks (interactive traffic) go out at once: batching them only adds a writev and a
    // setImmediate per message.
    if (!f.corked && chunk.length >= FORWARD_BATCH_MIN) {
      f.corked = true;
      dst.cork();
      setImmediate(uncorkForward, f);
    }
    dst.write(chunk);
    if (!f.paused && dst.writableLength >= FORWARD_HIGH_WATER) {
      f.paused = true;
      src.pause();
      f.onDrain ??= () => resumeForward(f);
      dst.once("drain", f.onDrain);
    }
  };
  // 'end' fires at most once: `on` avoids the wrapper `once` allocates.
  const onEnd = () => {
    if (!dst.destroyed && !dst.writableEnded) dst.end();
  };
  src.on("data", onData);
  src.on("end", onEnd);
  return () => {
    src.off("data", onData);
    src.off("end", onEnd);
    if (f.onDrain) dst.off("drain", f.onDrain);
  };
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
