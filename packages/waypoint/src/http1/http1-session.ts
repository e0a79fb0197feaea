import { STATUS_CODES } from "node:http";
import type { Duplex, Readable } from "node:stream";
import { Cancel, type Cancellation } from "../filter/cancel.js";
import type { L7Request, L7Response } from "../filter/types.js";
import { splitTarget } from "../listener/http-adapters.js";
import { resetLater } from "../listener/reset-later.js";
import {
  BadHeaderError,
  bodyless,
  chunkFrame,
  LAST_CHUNK,
  requestHeaderBlock,
  serializeHead,
  single,
} from "./head.js";
import { IncomingBody } from "./incoming-body.js";
import { Http1Parser, type ParsedHead } from "./llhttp.js";

const noop = () => {};
const EMPTY = Buffer.alloc(0);
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
const BAD_REQUEST = Buffer.from(
  "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
  "latin1",
);
/** Response headers the session frames itself. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
const NONE: ReadonlySet<string> = new Set();

/** One request on an HTTP/1.1 tunnel, handed to the waypoint's request path. */
export interface Http1Exchange {
  readonly req: L7Request;
  /** Aborted when the client goes away before the response is written. */
  readonly signal: Cancellation;
  /** Request body bytes received so far. */
  requestBytes(): number;
  /** Write the response (exactly once); resolves with the body bytes written. */
  respond(res: L7Response): Promise<number>;
}

export interface Http1SessionOptions {
  readonly maxHeaderSize: number;
  /** Authority used when the request has neither an absolute target nor Host (HTTP/1.0). */
  readonly fallbackAuthority: string;
  /** Idle keep-alive and header-block timeout (default 30 s). */
  readonly idleTimeoutMs?: number;
  onRequest(x: Http1Exchange): void;
  /** A malformed request: answered 400 and the tunnel closed; `reason` is `bad request: …`. */
  onBadRequest(reason: string): void;
}

interface Pending {
  readonly method: string;
  readonly versionMinor: number;
  readonly keepAlive: boolean;
  readonly req: Omit<L7Request, "body">;
  readonly body: IncomingBody | undefined;
  readonly expectContinue: boolean;
  cancel?: Cancel;
}

/**
 * HTTP/1.1 server side of one tunnel, on the tunnel stream itself (no socket wrapper, no
 * `http.Server`): llhttp parses (strict), requests are answered strictly in order (pipelined
 * ones wait), keep-alive per the request, a malformed request gets `400` + close after the
 * responses owed before it. A response with a whole-buffer body goes out as ONE write (one DATA
 * frame, one TLS record).
 */
export function serveHttp1(stream: Duplex, head: Buffer, opts: Http1SessionOptions): void {
  new Http1Session(stream, opts).start(head);
}

class Http1Session {
  private readonly parser: Http1Parser;
  private readonly queue: Pending[] = [];
  private parsing: Pending | undefined;
  private active: Pending | undefined;
  /** Set once a request was malformed: nothing after it is served. */
  private failed = false;
  /**
   * The input broke inside a message already handed to the request path (a bad chunk mid
   * upload): that request gets its own (error) response, so no extra 400 is written.
   */
  private failedInFlight = false;
  /** No further requests will be read (Connection: close, upgrade, failure, client EOF). */
  private noMore = false;
  /** The last message we will read is complete (or the input broke): stop feeding the parser. */
  private stopReading = false;
  private dead = false;
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stream: Duplex,
    private readonly opts: Http1SessionOptions,
  ) {
    this.parser = new Http1Parser("request", opts.maxHeaderSize, {
      onHead: (h) => this.onHead(h),
      onBody: (c) => this.parsing?.body?.push(c),
      onComplete: () => this.onComplete(),
    });
    // Idle keep-alive / slow header block: only while no request is being answered (a long
    // response must not be cut); re-armed whenever the session goes idle.
    this.timer = setTimeout(() => {
      if (!this.active) this.endTunnel();
    }, opts.idleTimeoutMs ?? 30_000);
    this.timer.unref();
  }

  start(head: Buffer): void {
    const s = this.stream;
    s.on("error", noop);
    s.on("data", (c: Buffer) => this.feed(c));
    s.once("end", () => {
      if (!this.stopReading && !this.failed) {
        const err = this.parser.finish();
        if (err) this.fail(`bad request: ${err.code}`);
      }
      this.noMore = true;
      this.pump();
    });
    s.once("close", () => this.onClosed());
    if (head.length > 0) this.feed(head);
  }

  private feed(c: Buffer): void {
    if (this.failed || this.stopReading || this.dead) return;
    const err = this.parser.execute(c);
    if (err) this.fail(`bad request: ${err.code}`);
    this.pump();
  }

  private onHead(h: ParsedHead): boolean {
    if (this.failed || this.noMore) return true;
    const b = requestHeaderBlock(h.raw);
    if (h.method === "CONNECT") return this.fail("bad request: CONNECT inside a tunnel");
    if (b.hosts > 1 || (b.hosts === 0 && h.versionMinor === 1))
      return this.fail("bad request: missing or repeated Host header");
    const t = splitTarget(h.url);
    if (!t) return this.fail("bad request: invalid request target");
    const cl = b.contentLength;
    const hasBody = b.transferEncoding || (cl !== undefined && cl !== "0");
    const expect = b.expect?.toLowerCase() === "100-continue";
    const p: Pending = {
      method: h.method,
      versionMinor: h.versionMinor,
      keepAlive: h.keepAlive && !h.upgrade,
      req: {
        protocol: "http1",
        method: h.method,
        path: t.path,
        search: t.search,
        authority: t.authority ?? b.host ?? this.opts.fallbackAuthority,
        headers: b.headers,
      },
      body: hasBody ? new IncomingBody(this.stream) : undefined,
      expectContinue: expect && hasBody,
    };
    this.queue.push(p);
    this.parsing = p;
    if (!p.keepAlive) this.noMore = true;
    return false;
  }

  private onComplete(): void {
    this.parsing?.body?.end();
    if (this.parsing && !this.parsing.keepAlive) this.stopReading = true;
    this.parsing = undefined;
  }

  /** Malformed input: stop reading; 400 + close once the responses owed are written. */
  private fail(reason: string): true {
    if (!this.failed) {
      this.failed = true;
      this.noMore = true;
      this.failedInFlight = this.parsing !== undefined && !this.queue.includes(this.parsing);
      this.parsing?.body?.fail(new Error(reason));
      this.parsing = undefined;
      // A request still being parsed when the input broke is dropped from the queue.
      const last = this.queue.at(-1);
      if (last?.body && !last.body.done) this.queue.pop();
      this.opts.onBadRequest(reason);
    }
    return true;
  }

  private isGone(): boolean {
    return this.dead || this.stream.destroyed || (this.stream as { closed?: boolean }).closed === true;
  }

  /** Start the next queued request, or close/idle when there is none. */
  private pump(): void {
    if (this.active || this.dead) return;
    const p = this.queue.shift();
    if (!p) {
      if (this.failed) {
        if (!this.failedInFlight) this.write(BAD_REQUEST);
        this.endTunnel();
      } else if (this.noMore) this.endTunnel();
      else this.timer.refresh();
      return;
    }
    this.active = p;
    if (p.expectContinue && p.body && !p.body.done) this.write(CONTINUE);
    const cancel = new Cancel();
    p.cancel = cancel;
    let responded = false;
    this.opts.onRequest({
      req: { ...p.req, body: p.body ? p.body.take() : EMPTY },
      signal: cancel,
      requestBytes: () => p.body?.bytes ?? 0,
      respond: (res) => {
        if (responded) return Promise.resolve(0);
        responded = true;
        return this.respond(p, res);
      },
    });
  }

  private write(b: Buffer): boolean {
    if (this.isGone() || this.ended) return false;
    return this.stream.write(b);
  }

  private respond(p: Pending, res: L7Response): Promise<number> {
    // After a malformed request the session still answers what came before it; `pump` then
    // writes the 400 and closes.
    let closeAfter = !p.keepAlive;
    const noBody = bodyless(res.status, p.method);
    const body = noBody ? undefined : res.body;
    // A body the answer must not carry (HEAD, 204, 304) is drained, never left holding a tunnel.
    if (noBody && res.body !== undefined && !Buffer.isBuffer(res.body)) res.body.resume();
    let extra = "";
    let skip = NONE;
    let mode: "fixed" | "chunked" | "raw" = "fixed";
    if (!noBody) {
      skip = FRAMING;
      if (body === undefined) extra = "content-length: 0\r\n";
      else if (Buffer.isBuffer(body)) extra = `content-length: ${body.length}\r\n`;
      else {
        const cl = single(res.headers["content-length"]);
        if (cl !== undefined) extra = `content-length: ${cl}\r\n`;
        else if (p.versionMinor >= 1) {
          extra = "transfer-encoding: chunked\r\n";
          mode = "chunked";
        } else {
          mode = "raw";
          closeAfter = true;
        }
      }
    }
    if (closeAfter) extra += "connection: close\r\n";
    else if (p.versionMinor === 0) extra += "connection: keep-alive\r\n";
    if (res.headers.date === undefined) extra += `date: ${httpDate()}\r\n`;
    let head: string;
    try {
      head = serializeHead(
        `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? "Unknown"}`,
        res.headers,
        skip,
        extra,
      );
    } catch (e) {
      if (!(e instanceof BadHeaderError)) throw e;
      if (body && !Buffer.isBuffer(body)) body.destroy();
      this.kill();
      return Promise.resolve(0);
    }
    const headBuf = Buffer.from(head, "latin1");
    if (body === undefined || Buffer.isBuffer(body)) {
      this.write(body && body.length > 0 ? Buffer.concat([headBuf, body]) : headBuf);
      this.finish(p, closeAfter);
      return Promise.resolve(body?.length ?? 0);
    }
    return this.pipeBody(p, headBuf, body, mode, closeAfter);
  }

  private pipeBody(
    p: Pending,
    headBuf: Buffer,
    body: Readable,
    mode: "fixed" | "chunked" | "raw",
    closeAfter: boolean,
  ): Promise<number> {
    return new Promise((resolve) => {
      let bytes = 0;
      let settled = false;
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true;
        this.stream.off("drain", onDrain);
        this.stream.off("close", onClose);
        if (ok) this.finish(p, closeAfter);
        else {
          if (!body.readableEnded) body.destroy();
          this.kill();
        }
        resolve(bytes);
      };
      const onDrain = () => body.resume();
      const onClose = () => done(false);
      this.stream.on("drain", onDrain);
      this.stream.once("close", onClose);
      this.write(headBuf);
      body.on("data", (c: Buffer) => {
        bytes += c.length;
        const ok = mode === "chunked" ? this.write(Buffer.concat(chunkFrame(c))) : this.write(c);
        if (!ok) {
          if (this.isGone()) done(false);
          else body.pause();
        }
      });
      body.once("end", () => {
        if (mode === "chunked") this.write(LAST_CHUNK);
        done(true);
      });
      body.once("error", () => done(false));
      if (this.isGone()) done(false);
    });
  }

  /** The response is written: next request, or close. */
  private finish(p: Pending, closeAfter: boolean): void {
    if (this.active !== p) return;
    this.active = undefined;
    if (closeAfter) {
      this.noMore = true;
      this.queue.length = 0;
      this.endTunnel();
      return;
    }
    // The response went out before the request body was read (a 403 to a POST): read the rest
    // and drop it so the next request starts at the right byte.
    if (p.body && !p.body.done) p.body.drop();
    this.pump();
  }

  /** End our side (END_STREAM); reset it if the peer has not closed a moment later. */
  private endTunnel(): void {
    if (this.ended || this.isGone()) return;
    this.ended = true;
    this.noMore = true;
    this.stream.end();
    setTimeout(() => resetLater(this.stream), 1000).unref();
  }

  private kill(): void {
    this.ended = true;
    resetLater(this.stream);
  }

  /** The tunnel closed: abort what is in flight, free the parser. */
  private onClosed(): void {
    this.dead = true;
    clearTimeout(this.timer);
    this.parser.close();
    const err = new Error("client went away");
    this.active?.cancel?.abort(err);
    this.active?.body?.fail(err);
    for (const p of this.queue) p.body?.fail(err);
    this.queue.length = 0;
  }
}

let dateCache = "";
let dateSecond = -1;
/** IMF-fixdate of now, formatted once per second. */
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateCache = new Date(now).toUTCString();
  }
  return dateCache;
}
