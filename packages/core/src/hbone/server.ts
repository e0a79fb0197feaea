import http2 from "node:http2";
import type net from "node:net";
import tls from "node:tls";
import type { ClientAddr, Identity, SocketAddress } from "@ambit/api";
import { canonicalIp, clientAddr, socketAddress } from "@ambit/api";
import { createLogger } from "../logger.js";
import { hboneServerSocketOptions } from "../tls/hbone-tls.js";
import { verifyHboneClient } from "../tls/peer-identity.js";
import { startKeepalive } from "./keepalive.js";
import { HboneSettings } from "./settings.js";

const log = createLogger("hbone.server");
const noop = () => {};

/** One CONNECT (or other request) received on an HBONE connection. */
export interface HboneRequest {
  readonly method: string;
  /** `:authority` as sent, undefined when missing. */
  readonly authority: string | undefined;
  readonly headers: http2.IncomingHttpHeaders;
  /** First client SPIFFE identity in the server's trust domain (the TLS layer guarantees one). */
  readonly peerIdentity: Identity;
  /** All URI SANs the client presented, for logs. */
  readonly peerSans: readonly string[];
  /** TCP peer of the HBONE connection (a waypoint's IP when one is traversed). */
  readonly peer: ClientAddr;
  /** Address the HBONE connection arrived on (the destination pod IP:15008). */
  readonly local: SocketAddress;
  readonly stream: http2.ServerHttp2Stream;
  /** Per-server connection counter, for logs. */
  readonly connectionId: number;
  /** Answer 200 (only once the upstream is connected) and return the stream to pipe. */
  accept(headers?: http2.OutgoingHttpHeaders): http2.ServerHttp2Stream;
  /** Answer a failure status and end the stream. */
  reject(status: number, headers?: http2.OutgoingHttpHeaders): void;
}

/** What a server presents for one local address: context plus the trust domain clients must be in. */
export interface HboneServerContext {
  /** From `createHboneSecureContext` (TLS 1.3, AES-GCM, no tickets); build once, reuse. */
  readonly secureContext: tls.SecureContext;
  /** Trust domain of this certificate's identity; client identities must share it. */
  readonly trustDomain: string;
}

export interface HboneServerOptions {
  /**
   * The certificate to present for a connection that arrived on `local` (there is no SNI in HBONE,
   * so the destination pod's certificate is chosen by address). Undefined closes the connection.
   */
  contextFor(local: SocketAddress): HboneServerContext | undefined;
  onRequest(req: HboneRequest): void;
  readonly handshakeTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly maxConcurrentStreams?: number;
}

/** Counters for tests and the admin dump. */
export interface HboneServerStats {
  /** Completed, verified TLS handshakes. */
  handshakes: number;
  /** TLS failures: bad/missing/expired client cert, plaintext, timeout, wrong ALPN/version. */
  handshakeFailures: number;
  /** Client certificate chain fine but no identity in our trust domain. */
  identityRejected: number;
  /** Connections closed because no certificate exists for the local address. */
  noContext: number;
  streams: number;
}

/**
 * HBONE server: mTLS (client cert required, chain verified against the context's CA, at least one
 * URI SAN in the server's own trust domain) + HTTP/2 with HBONE settings. It does not own a
 * listener: feed it accepted sockets with {@link HboneServer.handleConnection}, so listeners can be
 * created inside a pod's netns by whoever owns that.
 */
export class HboneServer {
  readonly stats: HboneServerStats = {
    handshakes: 0,
    handshakeFailures: 0,
    identityRejected: 0,
    noContext: 0,
    streams: 0,
  };
  /** Live sessions and their TLS sockets (http2's `session.socket` proxy refuses `destroy()`). */
  private readonly sessions = new Map<http2.ServerHttp2Session, tls.TLSSocket>();
  private readonly pending = new Set<net.Socket>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly opts: HboneServerOptions) {}

  /** Live HTTP/2 sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Take over an accepted TCP connection. */
  handleConnection(raw: net.Socket): void {
    raw.on("error", noop);
    // Half-close is per stream in HBONE; at TCP level a FIN from the client ends the connection.
    raw.allowHalfOpen = false;
    const localIp = canonicalIp(raw.localAddress ?? "");
    const peerIp = canonicalIp(raw.remoteAddress ?? "");
    if (this.closing || localIp === undefined || peerIp === undefined) {
      raw.destroy();
      return;
    }
    const local = socketAddress(localIp, raw.localPort ?? 0);
    const peer = clientAddr(peerIp, raw.remotePort ?? 0);
    let ctx: HboneServerContext | undefined;
    try {
      ctx = this.opts.contextFor(local);
    } catch (e) {
      log.warn("hbone: certificate lookup failed", { local: localIp, error: e });
    }
    if (!ctx) {
      this.stats.noContext++;
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    this.pending.add(raw);
    raw.setTimeout(this.opts.handshakeTimeoutMs ?? HboneSettings.connectTimeoutMs, () => raw.destroy());
    const trustDomain = ctx.trustDomain;
    const sock = new tls.TLSSocket(raw, hboneServerSocketOptions(ctx.secureContext));
    sock.on("error", noop);
    let secured = false;
    sock.once("close", () => {
      this.pending.delete(raw);
      if (!secured) this.stats.handshakeFailures++;
    });
    sock.once("secure", () => {
      secured = true;
      this.pending.delete(raw);
      raw.setTimeout(0);
      const v = verifyHboneClient(sock, trustDomain);
      if (!v.ok || sock.alpnProtocol !== "h2" || sock.getProtocol() !== "TLSv1.3") {
        if (!v.ok && v.code === "trust_domain_mismatch") this.stats.identityRejected++;
        else this.stats.handshakeFailures++;
        log.debug("hbone: client rejected", { peer: peer.ip, reason: v.ok ? "alpn/version" : v.reason });
        sock.destroy();
        return;
      }
      this.stats.handshakes++;
      this.serve(sock, v.identity, v.presented, peer, local);
    });
  }

  private serve(
    sock: tls.TLSSocket,
    identity: Identity,
    sans: readonly string[],
    peer: ClientAddr,
    local: SocketAddress,
  ): void {
    const connectionId = this.nextId++;
    // A hand-made server TLSSocket keeps `secureConnecting` set (tls.Server clears it in its own
    // secure handler); http2 would then wait for a client-only 'secureConnect' event forever.
    (sock as unknown as { secureConnecting: boolean }).secureConnecting = false;
    const session = http2.performServerHandshake(sock, {
      maxSessionMemory: HboneSettings.maxSessionMemoryMb,
      settings: {
        initialWindowSize: HboneSettings.streamWindow,
        maxFrameSize: HboneSettings.maxFrameSize,
        maxHeaderListSize: HboneSettings.serverMaxHeaderListSize,
        maxConcurrentStreams: this.opts.maxConcurrentStreams ?? HboneSettings.serverMaxStreams,
      },
    });
    this.sessions.set(session, sock);
    session.on("error", noop);
    session.once("close", () => {
      this.sessions.delete(session);
      sock.destroy();
    });
    try {
      session.setLocalWindowSize(HboneSettings.connectionWindow);
    } catch {
      session.once("connect", () => session.setLocalWindowSize(HboneSettings.connectionWindow));
    }
    startKeepalive(
      session,
      {
        intervalMs: this.opts.pingIntervalMs ?? HboneSettings.pingIntervalMs,
        timeoutMs: this.opts.pingTimeoutMs ?? HboneSettings.pingTimeoutMs,
      },
      () => {
        log.info("hbone: client dead (no PONG), closing", { peer: peer.ip, connection: connectionId });
        session.goaway(http2.constants.NGHTTP2_NO_ERROR);
        session.destroy();
      },
    );
    session.on("stream", (stream, headers) => {
      this.stats.streams++;
      stream.on("error", noop);
      const authority = headers[":authority"];
      const req: HboneRequest = {
        method: String(headers[":method"] ?? ""),
        authority: typeof authority === "string" && authority.length > 0 ? authority : undefined,
        headers,
        peerIdentity: identity,
        peerSans: sans,
        peer,
        local,
        stream,
        connectionId,
        accept: (h) => {
          if (!stream.destroyed && !stream.headersSent) stream.respond({ ":status": 200, ...h });
          return stream;
        },
        reject: (status, h) => {
          if (stream.destroyed || stream.headersSent) return;
          stream.respond({ ":status": status, ...h }, { endStream: true });
        },
      };
      try {
        this.opts.onRequest(req);
      } catch (e) {
        log.error("hbone: request handler threw", { error: e });
        req.reject(503);
      }
    });
  }

  /** Stop accepting streams: GOAWAY every session; reset what is left after `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    this.closing = true;
    for (const raw of this.pending) raw.destroy();
    const all = [...this.sessions];
    if (all.length === 0) return;
    await new Promise<void>((resolve) => {
      let left = all.length;
      const timer = setTimeout(() => {
        // Reset what is left. Destroy our own TLS socket, never `session.socket`: that is http2's
        // proxy, which throws ERR_HTTP2_NO_SOCKET_MANIPULATION on destroy().
        for (const [s, sock] of all) {
          if (!s.destroyed) s.destroy();
          sock.destroy();
        }
        // Never hang a shutdown on a session that fails to report 'close'.
        setTimeout(resolve, 1_000).unref();
      }, graceMs);
      timer.unref();
      for (const [s] of all) {
        s.once("close", () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        s.close();
      }
    });
  }
}
