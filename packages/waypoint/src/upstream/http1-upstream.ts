import type http2 from "node:http2";
import type { Readable } from "node:stream";
import type { Cancellation } from "../filter/cancel.js";
import type { L7Request, L7Response } from "../filter/types.js";
import {
  chunkFrame,
  type HeaderRecord,
  LAST_CHUNK,
  responseHeaderRecord,
  serializeHead,
  single,
} from "../http1/head.js";
import { IncomingBody } from "../http1/incoming-body.js";
import { Http1Parser, type ParsedHead } from "../http1/llhttp.js";
import { resetLater } from "../listener/reset-later.js";
import { WaypointError } from "../waypoint-error.js";
import {
  connectEndpoint,
  type EndpointDialer,
  endpointAuthority,
  type TunnelTarget,
} from "./endpoint-tunnel.js";
import { HOP_BY_HOP } from "./hop-by-hop.js";

export type { TunnelTarget } from "./endpoint-tunnel.js";

const noop = () => {};
/** Request headers the client frames itself. */
const REQUEST_FRAMING = new Set([...HOP_BY_HOP, "content-length"]);

export interface Http1UpstreamOptions extends EndpointDialer {
  /** Idle tunnels kept per endpoint (default 64). */
  readonly maxIdlePerEndpoint?: number;
  /**
   * How long an idle tunnel is kept (default 4 s: below the 5 s keep-alive timeout of Node's and
   * many other HTTP servers, so the backend rarely closes a tunnel we are about to reuse).
   */
  readonly idleMs?: number;
}

/** The CONNECT itself failed (vs. the exchange on an open tunnel): 503 UF rather than UC. */
export class TunnelConnectError extends Error {
  constructor(
    authority: string,
    readonly reason: unknown,
  ) {
    super(`upstream connect to ${authority} failed: ${(reason as Error)?.message ?? String(reason)}`, {
      cause: reason,
    });
  }
}

interface Waiter {
  readonly method: string;
  resolve(r: L7Response): void;
  reject(e: unknown): void;
}

/**
 * One keep-alive HTTP/1.1 connection inside a CONNECT stream to an endpoint: one exchange at a
 * time; llhttp (strict) parses the responses.
 */
class UpstreamTunnel {
  private readonly parser: Http1Parser;
  private waiter: Waiter | undefined;
  private head: { status: number; headers: HeaderRecord; keepAlive: boolean } | undefined;
  private body: IncomingBody | undefined;
  private complete = false;
  /** Bumped per exchange, so a late `discard` of an earlier response cannot kill a reused tunnel. */
  private gen = 0;
  /** Response bytes seen for the current exchange (a reused tunnel that closed with none may be retried). */
  private seen = 0;
  /** Request body bytes written for the current exchange. */
  private sent = 0;
  dead = false;
  reused = false;
  /** When the tunnel last went idle (`performance.now()`), for the pool's sweep. */
  idleSince = 0;

  constructor(
    readonly stream: http2.ClientHttp2Stream,
    readonly key: string,
    private readonly onReusable: (t: UpstreamTunnel) => void,
    private readonly onDead: (t: UpstreamTunnel) => void,
  ) {
    this.parser = new Http1Parser("response", 64 * 1024, {
      onHead: (h) => this.onHead(h),
      onBody: (c) => this.body?.push(c),
      onComplete: () => this.onComplete(),
    });
    stream.on("error", noop);
    stream.on("data", (c: Buffer) => this.onData(c));
    stream.once("end", () => {
      if (!this.dead && this.waiter) {
        const err = this.parser.finish();
        if (err) this.die(new Error(`upstream sent a malformed response: ${err.code}`));
        else this.settle();
      }
      this.die(new Error("upstream closed the connection"));
    });
    stream.once("close", () => this.die(new Error(`upstream stream closed (code ${stream.rstCode})`)));
  }

  get busy(): boolean {
    return this.waiter !== undefined || this.body !== undefined;
  }

  /** Send one request; the response arrives through `w`. */
  send(req: L7Request, w: Waiter): void {
    this.waiter = w;
    this.gen++;
    this.head = undefined;
    this.body = undefined;
    this.complete = false;
    this.seen = 0;
    this.sent = 0;
    // A stream body that already ended empty (a replayed attempt) is sent as an empty buffer.
    const b = !Buffer.isBuffer(req.body) && req.body.readableEnded ? Buffer.alloc(0) : req.body;
    let extra = `host: ${req.authority}\r\n`;
    let chunked = false;
    if (Buffer.isBuffer(b)) {
      if (b.length > 0 || req.headers["content-length"] !== undefined)
        extra += `content-length: ${b.length}\r\n`;
    } else {
      const cl = single(req.headers["content-length"]);
      if (cl !== undefined) extra += `content-length: ${cl}\r\n`;
      else {
        extra += "transfer-encoding: chunked\r\n";
        chunked = true;
      }
    }
    const head = Buffer.from(
      serializeHead(`${req.method} ${req.path}${req.search} HTTP/1.1`, req.headers, REQUEST_FRAMING, extra),
      "latin1",
    );
    if (Buffer.isBuffer(b)) {
      this.stream.write(b.length > 0 ? Buffer.concat([head, b]) : head);
      return;
    }
    this.stream.write(head);
    b.on("data", (c: Buffer) => {
      if (this.dead) return;
      this.sent += c.length;
      if (!this.stream.write(chunked ? Buffer.concat(chunkFrame(c)) : c)) {
        b.pause();
        this.stream.once("drain", () => b.resume());
      }
    });
    b.once("end", () => {
      if (chunked && !this.dead) this.stream.write(LAST_CHUNK);
    });
    b.once("error", () => this.die(new Error("client body failed")));
  }

  private onData(c: Buffer): void {
    if (this.dead) return;
    this.seen += c.length;
    if (!this.waiter && !this.body) {
      this.die(new Error("upstream sent bytes nobody asked for"));
      return;
    }
    const err = this.parser.execute(c);
    if (err) {
      this.die(new Error(`upstream sent a malformed response: ${err.code}`));
      return;
    }
    this.settle();
  }

  private onHead(h: ParsedHead): boolean {
    // Informational (100 Continue, 103): skip, the final response follows.
    if (h.status >= 100 && h.status < 200) {
      if (h.status === 101) this.die(new Error("upstream switched protocols"));
      return true;
    }
    this.head = { status: h.status, headers: responseHeaderRecord(h.raw), keepAlive: h.keepAlive };
    this.body = new IncomingBody(this.stream);
    return this.waiter?.method === "HEAD";
  }

  private onComplete(): void {
    if (!this.head) return;
    this.complete = true;
    this.body?.end();
  }

  /** After a parse step: hand the response over (whole, or streaming) and recycle when done. */
  private settle(): void {
    const w = this.waiter;
    const head = this.head;
    if (w && head && this.body) {
      this.waiter = undefined;
      const ib = this.body;
      const body = ib.take();
      const gen = this.gen;
      if (!Buffer.isBuffer(body))
        // Nobody will read the rest (client gone, retried attempt): the tunnel cannot be reused.
        body.once("close", () => {
          if (this.body === ib && !ib.done) this.die(new Error("response body abandoned"));
        });
      w.resolve({
        status: head.status,
        headers: head.headers,
        body: Buffer.isBuffer(body) ? body : (body as Readable),
        discard: () => {
          if (this.gen === gen && this.busy) this.die(new Error("response discarded"));
        },
      });
    }
    if (this.complete && !this.waiter) {
      this.complete = false;
      this.body = undefined;
      const keep = head?.keepAlive === true;
      this.head = undefined;
      if (keep) this.onReusable(this);
      else this.die(new Error("upstream asked to close"));
    }
  }

  /** The tunnel is unusable: fail what is pending, reset the stream. */
  die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.parser.close();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.reject(Object.assign(err, { seen: this.seen, sent: this.sent, reused: this.reused }));
    this.body?.fail(err);
    this.body = undefined;
    resetLater(this.stream);
    this.onDead(this);
  }
}

/** Which idle tunnels can carry a request for `t`: same endpoint, port, identity and HBONE port. */
export function poolKey(t: Pick<TunnelTarget, "address" | "targetPort" | "identity" | "hbonePort">): string {
  return `${t.address}|${t.targetPort}|${t.identity}|${t.hbonePort}`;
}

/**
 * Keep-alive HTTP/1.1 to endpoints INSIDE HBONE tunnels: consecutive requests to the same
 * endpoint reuse an idle CONNECT stream (LIFO) instead of opening one per request (each costs a
 * CONNECT round trip, an h2 stream on both sides and, at the destination ztunnel, a new TCP
 * connection to the app). Keyed by endpoint authority + identity + HBONE port; an idle tunnel is
 * dropped after `idleMs`, and when the backend ends it. The `Forwarded` header of the CONNECT
 * carries the first request's client; later requests keep their own HTTP-level headers, as with
 * Envoy's upstream connection pools. A reused tunnel the backend closed just before our request
 * (the keep-alive race) is retried once on a fresh tunnel when the body can be replayed.
 */
export class Http1Upstream {
  private readonly idle = new Map<string, UpstreamTunnel[]>();
  private readonly all = new Set<UpstreamTunnel>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: Http1UpstreamOptions) {}

  /** `key`: the target's {@link poolKey}, when the caller has it cached. */
  async exchange(
    target: TunnelTarget,
    req: L7Request,
    signal: Cancellation,
    key = poolKey(target),
  ): Promise<L7Response> {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw WaypointError.from(signal.reason);
      const t = this.takeIdle(key) ?? (await this.open(key, target, signal));
      try {
        return await this.run(t, req, signal);
      } catch (e) {
        if (signal.aborted) throw WaypointError.from(signal.reason);
        const info = e as { seen?: number; reused?: boolean; sent?: number; message?: string };
        const replayable = Buffer.isBuffer(req.body) || (req.body.readableEnded && info.sent === 0);
        if (attempt === 0 && info.reused && info.seen === 0 && replayable) continue;
        throw new WaypointError("upstream_reset", `upstream reset: ${info.message ?? String(e)}`, {
          cause: e,
        });
      }
    }
  }

  private run(t: UpstreamTunnel, req: L7Request, signal: Cancellation): Promise<L7Response> {
    return new Promise((resolve, reject) => {
      const onAbort = () => t.die(new Error("request aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
      const w: Waiter = {
        method: req.method,
        resolve: (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      try {
        t.send(req, w);
      } catch (e) {
        t.die(e as Error);
      }
    });
  }

  private takeIdle(key: string): UpstreamTunnel | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const t = list.pop() as UpstreamTunnel;
      if (!t.dead && !t.stream.destroyed) {
        t.reused = true;
        return t;
      }
    }
    return undefined;
  }

  private async open(key: string, target: TunnelTarget, signal: Cancellation): Promise<UpstreamTunnel> {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = await connectEndpoint(this.opts, target);
    } catch (e) {
      throw new WaypointError(
        "upstream_connect_failed",
        new TunnelConnectError(endpointAuthority(target), e).message,
        {
          cause: e,
        },
      );
    }
    if (signal.aborted) {
      resetLater(stream);
      throw WaypointError.from(signal.reason);
    }
    const t = new UpstreamTunnel(
      stream,
      key,
      (x) => this.release(x),
      (x) => this.forget(x),
    );
    this.all.add(t);
    return t;
  }

  private release(t: UpstreamTunnel): void {
    let list = this.idle.get(t.key);
    if (!list) {
      list = [];
      this.idle.set(t.key, list);
    }
    if (list.length >= (this.opts.maxIdlePerEndpoint ?? 64)) {
      t.die(new Error("too many idle tunnels"));
      return;
    }
    t.idleSince = performance.now();
    list.push(t);
    this.sweeper ??= this.startSweeper();
  }

  /**
   * One timer per pool instead of one per idle period: at 1000 rps a `setTimeout` +
   * `clearTimeout` per request was measurable. Runs every idleMs/8 while tunnels are idle, so a
   * tunnel is dropped between idleMs and 1.125 × idleMs after its last use.
   */
  private startSweeper(): NodeJS.Timeout {
    const idleMs = this.opts.idleMs ?? 4_000;
    const timer = setInterval(
      () => {
        const cutoff = performance.now() - idleMs;
        for (const [key, list] of [...this.idle]) {
          // LIFO: the oldest idle tunnels are at the front.
          while (list.length > 0 && (list[0] as UpstreamTunnel).idleSince <= cutoff)
            (list.shift() as UpstreamTunnel).die(new Error("idle"));
          if (list.length === 0) this.idle.delete(key);
        }
        if (this.idle.size === 0) {
          clearInterval(timer);
          this.sweeper = undefined;
        }
      },
      Math.max(10, idleMs / 8),
    );
    timer.unref();
    return timer;
  }

  private forget(t: UpstreamTunnel): void {
    this.all.delete(t);
    const list = this.idle.get(t.key);
    if (!list) return;
    const i = list.indexOf(t);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(t.key);
  }

  /** Live tunnels (idle + busy), for tests. */
  get size(): number {
    return this.all.size;
  }

  destroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const t of [...this.all]) t.die(new Error("waypoint closing"));
  }
}
