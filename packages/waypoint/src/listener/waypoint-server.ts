import http2 from "node:http2";
import type net from "node:net";
import type { Duplex } from "node:stream";
import type tls from "node:tls";
import type { Identity } from "@ambit/api";
import { canonicalIp, Ports } from "@ambit/api";
import { createLogger, type HbonePool, type HboneRequest, HboneServer } from "@ambit/core";
import type { WaypointState } from "../config/types.js";
import { Cancel } from "../filter/cancel.js";
import { type L7Request, localResponse } from "../filter/types.js";
import { type Http1Exchange, serveHttp1 } from "../http1/http1-session.js";
import type { CompiledJwtRule } from "../route/jwt.js";
import type { Random } from "../route/pick.js";
import type { AccessLogSink } from "../telemetry/access-log.js";
import type { WaypointMetrics } from "../telemetry/metrics.js";
import { reportRequest } from "../telemetry/request-telemetry.js";
import { sourceFromBaggage } from "../telemetry/source-baggage.js";
import { Http1Upstream } from "../upstream/http1-upstream.js";
import { countBytes, fromHttp2, writeHttp2 } from "./http-adapters.js";
import { jsDuplex } from "./no-writev.js";
import { proxyOpaque } from "./opaque-proxy.js";
import { createPipeline, type PipelineResult, type TunnelInfo } from "./request-pipeline.js";
import { resetLater } from "./reset-later.js";
import { sniffProtocol } from "./sniff.js";

const log = createLogger("waypoint.server");
const noop = () => {};

export interface WaypointServerOptions {
  readonly identity: Identity;
  /** Current certificate of the waypoint identity (server and upstream client side). */
  secureContext(): tls.SecureContext;
  /** Current config; undefined until the first push (tunnels are refused with 503). */
  state(): WaypointState | undefined;
  jwtRules(): readonly CompiledJwtRule[];
  readonly pool: HbonePool;
  /** Endpoint HBONE port (default 15008). */
  readonly hbonePort?: number;
  readonly rand?: Random;
  readonly metrics?: WaypointMetrics;
  readonly accessLog?: AccessLogSink;
  /** Largest HTTP/1 header block (default 16 KiB; larger → 400 and close). */
  readonly maxHeaderSize?: number;
  /** HTTP/1.1 tunnel idle keep-alive and header-block timeout (default 30 s; never cuts a response). */
  readonly idleTimeoutMs?: number;
  /**
   * How long to wait for a client's first bytes when the port declares no protocol (default 1 s);
   * after that the tunnel is treated as opaque TCP. Ports declared http/http2/grpc wait 30 s.
   */
  readonly sniffTimeoutMs?: number;
  /** How long an idle keep-alive tunnel to an endpoint is kept (default 4 s). */
  readonly upstreamIdleMs?: number;
}

/** `host:port` / `[v6]:port` of a CONNECT authority. */
export function parseAuthority(a: string | undefined): { host: string; port: number } | undefined {
  if (!a) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]{1,5})$/.exec(a);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!host || !(port > 0 && port < 65536)) return undefined;
  return { host: canonicalIp(host) ?? host.toLowerCase(), port };
}

/**
 * The waypoint's data plane: terminates HBONE with the waypoint identity (core `HboneServer`),
 * finds the listener (service) from `:authority`, sniffs the protocol inside the tunnel and hands
 * it to a strict HTTP/1.1 parser, an HTTP/2 session, or the L4 pipe. Feed accepted sockets to
 * {@link WaypointServer.handleConnection}.
 */
export class WaypointServer {
  readonly hbone: HboneServer;
  private readonly pipeline: ReturnType<typeof createPipeline>;
  private readonly h2Sessions = new Set<http2.ServerHttp2Session>();
  /** Keep-alive HTTP/1.1 tunnels to endpoints, shared by every request. */
  private readonly http1: Http1Upstream;

  constructor(private readonly opts: WaypointServerOptions) {
    this.http1 = new Http1Upstream({
      pool: opts.pool,
      secureContext: opts.secureContext,
      identity: opts.identity,
      ...(opts.upstreamIdleMs ? { idleMs: opts.upstreamIdleMs } : {}),
    });
    this.pipeline = createPipeline({
      forwarder: {
        pool: opts.pool,
        secureContext: opts.secureContext,
        identity: opts.identity,
        hbonePort: opts.hbonePort ?? Ports.hbone,
        http1: this.http1,
      },
      jwtRules: opts.jwtRules,
      rand: opts.rand ?? Math.random,
      nowS: () => Math.floor(Date.now() / 1000),
    });
    this.hbone = new HboneServer({
      contextFor: () => ({ secureContext: opts.secureContext(), trustDomain: opts.identity.trustDomain }),
      onRequest: (req) => this.onTunnel(req),
    });
  }

  handleConnection(socket: net.Socket): void {
    this.hbone.handleConnection(socket);
  }

  private onTunnel(req: HboneRequest): void {
    if (req.method !== "CONNECT") {
      req.reject(405);
      return;
    }
    const target = parseAuthority(req.authority);
    if (!target) {
      req.reject(400);
      return;
    }
    const state = this.opts.state();
    if (!state) {
      req.reject(503);
      return;
    }
    const listener = state.listenerByKey.get(target.host);
    if (!listener) {
      req.reject(404);
      return;
    }
    const port = listener.ports.find((p) => p.port === target.port);
    if (listener.ports.length > 0 && !port) {
      req.reject(404);
      return;
    }
    const info: TunnelInfo = {
      state,
      listener,
      servicePort: target.port,
      peerIdentity: req.peerIdentity,
      peer: req.peer,
      source: sourceFromBaggage(req.headers["baggage"], req.peerIdentity.namespace),
    };
    const stream = req.accept();
    const proto = port?.appProtocol ?? "";
    if (proto === "tcp" || proto === "tls") {
      void proxyOpaque(stream, info, this.forwarderDeps());
      return;
    }
    // A declared HTTP port waits for the client's first bytes as long as an HTTP/1 header block
    // may take; an undeclared one gives up after the sniff timeout (server-first protocols).
    const http = proto === "http" || proto === "http2" || proto === "grpc";
    sniffProtocol(stream, http ? 30_000 : (this.opts.sniffTimeoutMs ?? 1000), (p, head) => {
      if (stream.destroyed) return;
      if (p === "http1") {
        serveHttp1(stream, head, {
          maxHeaderSize: this.opts.maxHeaderSize ?? 16 * 1024,
          ...(this.opts.idleTimeoutMs ? { idleTimeoutMs: this.opts.idleTimeoutMs } : {}),
          fallbackAuthority: `${info.listener.hostname}:${info.servicePort}`,
          onRequest: (x) =>
            this.onHttp1(x, info).catch((e: unknown) => {
              // The pipeline answers every failure itself; this is the last guard against a bug
              // turning into an unhandled rejection (which would end the process).
              log.error("waypoint: HTTP/1.1 request failed unexpectedly", { error: e });
              void x.respond(localResponse(500, "internal error"));
            }),
          onBadRequest: (reason) => this.onBadHttp1(reason, info),
        });
        return;
      }
      const sock = jsDuplex(stream, head);
      if (p === "http2") this.serveHttp2(sock, info);
      else void proxyOpaque(sock, info, this.forwarderDeps());
    });
  }

  private forwarderDeps() {
    return {
      pool: this.opts.pool,
      secureContext: this.opts.secureContext,
      identity: this.opts.identity,
      hbonePort: this.opts.hbonePort ?? Ports.hbone,
      rand: this.opts.rand ?? Math.random,
    };
  }

  private async onHttp1(x: Http1Exchange, info: TunnelInfo): Promise<void> {
    const start = performance.now();
    const startWall = Date.now();
    const result = await this.pipeline(x.req, info, x.signal);
    const bytes = await x.respond(result.response);
    this.report(x.req, info, result, start, startWall, x.requestBytes(), bytes);
  }

  private serveHttp2(stream: Duplex, info: TunnelInfo): void {
    const session = http2.performServerHandshake(stream, {
      maxSendHeaderBlockLength: 64 * 1024,
      settings: { maxConcurrentStreams: 1000, maxHeaderListSize: this.opts.maxHeaderSize ?? 16 * 1024 },
    });
    this.h2Sessions.add(session);
    session.on("error", noop);
    session.once("close", () => {
      this.h2Sessions.delete(session);
      stream.destroy();
    });
    stream.once("close", () => session.destroy());
    session.on("stream", (s, headers) => {
      s.on("error", noop);
      this.onHttp2(s, headers, info).catch((e: unknown) => {
        log.error("waypoint: HTTP/2 request failed unexpectedly", { error: e });
        resetLater(s, http2.constants.NGHTTP2_INTERNAL_ERROR);
      });
    });
  }

  private async onHttp2(
    s: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    info: TunnelInfo,
  ): Promise<void> {
    const start = performance.now();
    const startWall = Date.now();
    const counted = countBytes(s);
    const l7 = fromHttp2(counted.stream, headers, `${info.listener.hostname}:${info.servicePort}`);
    if (!l7) {
      s.respond({ ":status": 400 }, { endStream: true });
      return;
    }
    const cancel = new Cancel();
    s.once("close", () => cancel.abort(new Error("client stream closed")));
    const result = await this.pipeline(l7, info, cancel);
    const bytes = await writeHttp2(s, result.response);
    this.report(l7, info, result, start, startWall, counted.bytes(), bytes);
  }

  private report(
    req: L7Request,
    tunnel: TunnelInfo,
    result: PipelineResult,
    start: number,
    startWall: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    try {
      reportRequest(this.opts.metrics, this.opts.accessLog, {
        req,
        tunnel,
        status: result.response.status,
        result,
        startMs: startWall,
        endMs: startWall + (performance.now() - start),
        requestBytes,
        responseBytes,
      });
    } catch (e) {
      log.warn("waypoint: telemetry failed", { error: e });
    }
  }

  /**
   * Malformed HTTP/1.1 (smuggling shapes, oversized headers or request line, bad methods, a
   * missing Host): the session answers 400 and closes. An oversized header block is also a plain
   * 400 (issue #8 asks for one answer to every malformed request; Envoy's 431 would tell a prober
   * exactly which limit it hit). Counted and logged here.
   */
  private onBadHttp1(reason: string, info: TunnelInfo): void {
    const now = Date.now();
    const fake: L7Request = {
      protocol: "http1",
      method: "-",
      path: "-",
      search: "",
      authority: "-",
      headers: {},
      body: Buffer.alloc(0),
    };
    try {
      reportRequest(this.opts.metrics, this.opts.accessLog, {
        req: fake,
        tunnel: info,
        status: 400,
        result: undefined,
        startMs: now,
        endMs: now,
        requestBytes: 0,
        responseBytes: 0,
        reason,
      });
    } catch (e) {
      log.warn("waypoint: telemetry failed", { error: e });
    }
  }

  /** Live keep-alive tunnels to endpoints, idle or busy (tests). */
  get upstreamTunnels(): number {
    return this.http1.size;
  }

  /** Live HTTP/2 inner sessions (tests check they drain to zero). */
  get innerSessions(): number {
    return this.h2Sessions.size;
  }

  async close(graceMs = 2000): Promise<void> {
    for (const s of this.h2Sessions) s.close();
    this.http1.destroy();
    await this.hbone.close(graceMs);
  }
}
