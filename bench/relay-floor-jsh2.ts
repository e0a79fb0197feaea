/**
 * The relay floor's `jsh2` relay transport: HTTP/2 framed in JS on plain TLS sockets, instead of
 * Node's `http2` module (nghttp2 plus one `Http2Stream` Duplex per stream). It answers one
 * question for issue #8: would terminating HBONE's HTTP/2 in our own JS, within the "native code
 * only in the sockets addon" rule, lower the per-request transport cost enough to matter?
 *
 * Deliberately only what the floor's traffic needs, not a general HTTP/2 stack: long-lived
 * CONNECT streams, DATA both ways, SETTINGS and PING acknowledgements, and flow control
 * (our receive windows are 16 MiB and replenished at half; sends wait for the peer's windows).
 * Peer header blocks are not HPACK-decoded (the floor does not route), and RST_STREAM, GOAWAY,
 * CONTINUATION, padding and priority are ignored. Never use it outside the bench.
 */
import tls from "node:tls";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const WINDOW = 1 << 24;
const DEFAULT_WINDOW = 65535;
const T_DATA = 0;
const T_HEADERS = 1;
const T_SETTINGS = 4;
const T_PING = 6;
const T_WINDOW_UPDATE = 8;
const F_ACK = 1;
const F_END_HEADERS = 4;

/**
 * One CONNECT stream: `write` sends DATA (queued while the peer's windows are shut); `onData`
 * sets the one receiver of its DATA payloads (the relay's `Pipe` shape).
 */
export interface Stream {
  readonly id: number;
  write(b: Buffer): void;
  onData(f: (b: Buffer) => void): void;
}

interface StreamState extends Stream {
  sendWindow: number;
  readonly queue: Buffer[];
  receive: (b: Buffer) => void;
}

/** A frame: 9-byte head (24-bit length, type, flags, 31-bit stream id) then `payload`. */
function frame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out[0] = payload.length >>> 16;
  out[1] = (payload.length >>> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(id, 5);
  payload.copy(out, 9);
  return out;
}

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
};

/** SETTINGS_INITIAL_WINDOW_SIZE (0x4) = 16 MiB. */
const SETTINGS = frame(T_SETTINGS, 0, 0, Buffer.concat([Buffer.from([0, 4]), u32(WINDOW)]));
const SETTINGS_ACK = frame(T_SETTINGS, F_ACK, 0, Buffer.alloc(0));
/** `:status: 200` is HPACK static-table entry 8: one indexed byte. */
const STATUS_200 = Buffer.from([0x88]);

/**
 * One HTTP/2 connection over `sock`. A server calls `onStream` for each new stream a peer's
 * HEADERS opens (answering `:status 200`); a client opens streams with `connect`.
 */
export function h2Conn(sock: tls.TLSSocket, client: boolean, onStream?: (s: Stream) => void) {
  sock.setNoDelay(true);
  const streams = new Map<number, StreamState>();
  let pending: Buffer | undefined;
  let prefaceLeft = client ? 0 : PREFACE.length;
  let connSendWindow = DEFAULT_WINDOW;
  let peerInitialWindow = DEFAULT_WINDOW;
  let connRecvUsed = 0;
  let nextId = 1;

  const flush = (s: StreamState) => {
    while (s.queue.length > 0) {
      const b = s.queue[0] as Buffer;
      if (b.length > s.sendWindow || b.length > connSendWindow) return;
      s.queue.shift();
      s.sendWindow -= b.length;
      connSendWindow -= b.length;
      sock.write(frame(T_DATA, 0, s.id, b));
    }
  };
  const open = (id: number): StreamState => {
    const s: StreamState = {
      id,
      sendWindow: peerInitialWindow,
      queue: [],
      receive: () => {},
      onData: (f) => {
        s.receive = f;
      },
      write: (b) => {
        s.queue.push(b);
        flush(s);
      },
    };
    streams.set(id, s);
    return s;
  };
  const onSettings = (p: Buffer) => {
    for (let at = 0; at + 6 <= p.length; at += 6) {
      if (p.readUInt16BE(at) !== 4) continue;
      const next = p.readUInt32BE(at + 2);
      for (const s of streams.values()) s.sendWindow += next - peerInitialWindow;
      peerInitialWindow = next;
    }
    sock.write(SETTINGS_ACK);
    for (const s of streams.values()) flush(s);
  };
  const onFrame = (type: number, flags: number, id: number, p: Buffer) => {
    if (type === T_DATA) {
      connRecvUsed += p.length;
      if (connRecvUsed > WINDOW / 2) {
        sock.write(frame(T_WINDOW_UPDATE, 0, 0, u32(connRecvUsed)));
        connRecvUsed = 0;
      }
      // Stream windows (16 MiB each) are not replenished: a floor run moves far less per stream.
      streams.get(id)?.receive(p);
    } else if (type === T_HEADERS) {
      if (client || streams.has(id)) return;
      const s = open(id);
      sock.write(frame(T_HEADERS, F_END_HEADERS, id, STATUS_200));
      onStream?.(s);
    } else if (type === T_SETTINGS) {
      if ((flags & F_ACK) === 0) onSettings(p);
    } else if (type === T_PING) {
      if ((flags & F_ACK) === 0) sock.write(frame(T_PING, F_ACK, 0, p));
    } else if (type === T_WINDOW_UPDATE && p.length === 4) {
      const n = p.readUInt32BE(0) & 0x7fffffff;
      if (id === 0) {
        connSendWindow += n;
        for (const s of streams.values()) flush(s);
      } else {
        const s = streams.get(id);
        if (s) {
          s.sendWindow += n;
          flush(s);
        }
      }
    }
  };

  if (client) sock.write(PREFACE);
  sock.write(Buffer.concat([SETTINGS, frame(T_WINDOW_UPDATE, 0, 0, u32(WINDOW - DEFAULT_WINDOW))]));
  sock.on("data", (d: Buffer) => {
    let b = pending ? Buffer.concat([pending, d]) : d;
    pending = undefined;
    if (prefaceLeft > 0) {
      const n = Math.min(prefaceLeft, b.length);
      prefaceLeft -= n;
      b = b.subarray(n);
    }
    let at = 0;
    while (b.length - at >= 9) {
      const len = ((b[at] as number) << 16) | ((b[at + 1] as number) << 8) | (b[at + 2] as number);
      if (b.length - at < 9 + len) break;
      onFrame(
        b[at + 3] as number,
        b[at + 4] as number,
        b.readUInt32BE(at + 5) & 0x7fffffff,
        b.subarray(at + 9, at + 9 + len),
      );
      at += 9 + len;
    }
    if (at < b.length) pending = b.subarray(at);
  });
  sock.on("error", () => sock.destroy());

  return {
    /** Open a CONNECT stream to `authority` (client side). */
    connect(authority: string): Stream {
      const id = nextId;
      nextId += 2;
      const a = Buffer.from(authority, "latin1");
      if (a.length > 126) throw new Error("authority too long for a one-byte HPACK length");
      // Literal header fields without indexing, indexed names: `:method` (2) = CONNECT,
      // `:authority` (1) = `authority`; no Huffman coding; one HEADERS frame.
      const block = Buffer.concat([
        Buffer.from([0x02, 7]),
        Buffer.from("CONNECT"),
        Buffer.from([0x01, a.length]),
        a,
      ]);
      sock.write(frame(T_HEADERS, F_END_HEADERS, id, block));
      return open(id);
    },
  };
}

/** A client connection (TLS, ALPN h2, no certificate checks: the floor's peers are its own). */
export function jsh2Connect(port: number): ReturnType<typeof h2Conn> {
  return h2Conn(
    tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["h2"] }),
    true,
  );
}

/** A server: each peer CONNECT stream is answered 200 and handed to `onStream`. */
export function jsh2Server(opts: { key: string; cert: string }, onStream: (s: Stream) => void): tls.Server {
  return tls.createServer({ ...opts, ALPNProtocols: ["h2"] }, (sock) => {
    h2Conn(sock, false, onStream);
  });
}
