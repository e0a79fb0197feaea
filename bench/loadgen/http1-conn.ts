import { connect, type Socket } from "node:net";

/** Target of the load generator. */
export interface Target {
  readonly ip: string;
  readonly port: number;
  /** Request path; the bench server answers `/1k` with exactly 1024 bytes. */
  readonly path: string;
  /** Inactivity limit for a request in flight (default {@link REQUEST_TIMEOUT_MS}). */
  readonly requestTimeoutMs?: number;
}

export function requestBytes(t: Target, close: boolean): Buffer {
  const conn = close ? "Connection: close\r\n" : "";
  return Buffer.from(
    `GET ${t.path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: ambit-bench\r\n${conn}\r\n`,
    "latin1",
  );
}

/**
 * Incremental parser for HTTP/1.1 responses framed by Content-Length (what the bench server
 * sends). Feed it bytes; it calls `onResponse(status)` once per complete response. Chunked or
 * unframed responses are reported as errors rather than guessed at.
 */
export class ResponseParser {
  private pending: Buffer | undefined;
  /** Body bytes still expected, or -1 while reading the head. */
  private need = -1;
  private status = 0;

  constructor(
    private readonly onResponse: (status: number) => void,
    private readonly onError: (msg: string) => void,
  ) {}

  feed(chunk: Buffer): void {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (buf.length > 0) {
      if (this.need < 0) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) {
          this.pending = buf;
          return;
        }
        const head = buf.toString("latin1", 0, end);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
        const len = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1];
        if (status === undefined || len === undefined) {
          this.onError(`unframed or malformed response head: ${JSON.stringify(head.slice(0, 80))}`);
          return;
        }
        this.status = Number(status);
        this.need = Number(len);
        buf = buf.subarray(end + 4);
      }
      const take = Math.min(this.need, buf.length);
      this.need -= take;
      buf = buf.subarray(take);
      if (this.need === 0) {
        this.need = -1;
        this.onResponse(this.status);
      }
    }
  }

  /** True between responses (nothing half-read). */
  get idle(): boolean {
    return this.need < 0 && this.pending === undefined;
  }
}

/** Inactivity limit for a request in flight. */
export const REQUEST_TIMEOUT_MS = 5000;

/**
 * One keep-alive HTTP/1.1 connection with at most one request in flight (no pipelining, like
 * wrk and real clients). `send(cb)` writes the request; `cb` runs on the complete response.
 */
export class KeepAliveConn {
  private cb: ((err: string | undefined, status: number) => void) | undefined;
  private readonly parser: ResponseParser;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly req: Buffer,
    private readonly timeoutMs: number,
  ) {
    this.parser = new ResponseParser(
      (status) => this.finish(undefined, status),
      (msg) => this.fail(msg),
    );
    socket.on("data", (c: Buffer) => this.parser.feed(c));
    socket.on("error", (e) => this.fail(e.message));
    socket.on("close", () => this.fail("connection closed"));
    socket.on("timeout", () => this.fail(`no response within ${timeoutMs} ms`));
  }

  static open(t: Target, timeoutMs = 5000): Promise<KeepAliveConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: t.ip, port: t.port, noDelay: true });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect ${t.ip}:${t.port}: timeout`));
      }, timeoutMs);
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(new KeepAliveConn(s, requestBytes(t, false), t.requestTimeoutMs ?? REQUEST_TIMEOUT_MS));
      });
    });
  }

  get busy(): boolean {
    return this.cb !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(cb: (err: string | undefined, status: number) => void): void {
    if (this.closed) {
      cb("connection closed", 0);
      return;
    }
    this.cb = cb;
    // A stalled path must not hang the bench: no byte for REQUEST_TIMEOUT_MS fails the request
    // (and the connection). Armed only while a request is in flight.
    this.socket.setTimeout(this.timeoutMs);
    this.socket.write(this.req);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private finish(err: string | undefined, status: number): void {
    this.socket.setTimeout(0);
    const cb = this.cb;
    this.cb = undefined;
    cb?.(err, status);
  }

  private fail(msg: string): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    this.finish(msg, 0);
  }
}

/**
 * One complete "new connection" transaction: connect, one request with `Connection: close`, read
 * the response, and wait for the server's FIN before closing, so TIME_WAIT lands on the server side
 * and the client pod does not run out of ports.
 */
export function oneShot(t: Target, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: t.ip, port: t.port, noDelay: true });
    let status = 0;
    let done = false;
    const end = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      if (err === undefined && status > 0) resolve(status);
      else reject(err ?? new Error("connection closed before a response"));
    };
    const timer = setTimeout(() => end(new Error("timeout")), timeoutMs);
    const parser = new ResponseParser(
      (st) => {
        status = st;
      },
      (msg) => end(new Error(msg)),
    );
    s.on("connect", () => s.write(requestBytes(t, true)));
    s.on("data", (c: Buffer) => parser.feed(c));
    s.on("end", () => end(undefined));
    s.on("error", (e) => end(e));
    s.on("close", () => end(undefined));
  });
}
