import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { Identity, SocketAddress } from "@ambit/api";
import { formatSocketAddress } from "@ambit/api";
import { createLogger } from "../logger.js";
import { hboneClientOptions } from "../tls/hbone-tls.js";
import { PeerVerifyError } from "../tls/peer-identity.js";
import { uriSansOf } from "../tls/subject-alt-name.js";
import { HboneError } from "./hbone-error.js";
import { startKeepalive } from "./keepalive.js";
import { HboneSettings } from "./settings.js";

const log = createLogger("hbone.client");
const noop = () => {};

/**
 * Opens the TCP connection to the next hop. Injected so ztunnel can dial from inside a pod's netns
 * with mark 0x539 (the rules must not capture its own traffic); the default is `net.connect`.
 */
export type Dialer = (nextHop: SocketAddress, sourceIp: string | undefined) => Promise<net.Socket>;

export const defaultDialer: Dialer = (hop, sourceIp) =>
  new Promise((resolve, reject) => {
    const s = net.connect({
      host: hop.ip,
      port: hop.port,
      noDelay: true,
      ...(sourceIp === undefined ? {} : { localAddress: sourceIp }),
    });
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });

export interface HboneConnectionOptions {
  readonly nextHop: SocketAddress;
  /** Local IP to dial from (the source workload's IP in shared mode); part of the pool key. */
  readonly sourceIp?: string | undefined;
  /** Client certificate (source identity) + trust bundle; build with `createHboneSecureContext`. */
  readonly secureContext: tls.SecureContext;
  /** Identities the server may present; at least one of its SPIFFE URI SANs must be in this list. */
  readonly expectedIdentities: readonly Identity[];
  readonly dial?: Dialer;
  /** Client-side stream cap (min'ed with the peer's MAX_CONCURRENT_STREAMS). */
  readonly maxStreams?: number;
  readonly connectTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  /** Close (GOAWAY) after this long without streams; undefined = never. */
  readonly idleTimeoutMs?: number;
}

/** Public lifecycle tag; see the private tagged union {@link State}. */
export type HboneConnectionState = "connecting" | "ready" | "draining" | "closed";

type State =
  | { readonly t: "connecting" }
  | { readonly t: "ready"; readonly session: http2.ClientHttp2Session }
  | { readonly t: "draining"; readonly session: http2.ClientHttp2Session }
  | { readonly t: "closed"; readonly error: HboneError | undefined };

/**
 * One mTLS + HTTP/2 connection to an HBONE server, carrying up to `capacity` CONNECT streams.
 * Construction starts the handshake at once; every waiter shares `ready`, so concurrent first uses
 * cost one handshake. Streams are admitted by reservation (`reserve()` then `open()`), which lets a
 * pool count in-flight checkouts before the handshake has finished.
 */
export class HboneConnection {
  readonly ready: Promise<void>;
  /** The server's URI SANs, once ready. */
  peerIdentities: readonly string[] = [];
  private st: State = { t: "connecting" };
  private active = 0;
  private reserved = 0;
  private peerMax = Number.POSITIVE_INFINITY;
  private idleTimer: NodeJS.Timeout | undefined;
  private socket: tls.TLSSocket | undefined;
  private readonly closeListeners: ((c: HboneConnection) => void)[] = [];

  constructor(private readonly opts: HboneConnectionOptions) {
    this.ready = this.establish();
    this.ready.catch(noop);
  }

  get state(): HboneConnectionState {
    return this.st.t;
  }

  /** Streams currently open on this connection. */
  get streams(): number {
    return this.active;
  }

  /** min(configured cap, peer MAX_CONCURRENT_STREAMS). */
  get capacity(): number {
    return Math.min(this.opts.maxStreams ?? HboneSettings.clientMaxStreams, this.peerMax);
  }

  /** True when another stream (counting pending reservations) fits on a live connection. */
  hasRoom(): boolean {
    return (
      (this.st.t === "connecting" || this.st.t === "ready") && this.active + this.reserved < this.capacity
    );
  }

  reserve(): void {
    this.reserved++;
    this.clearIdle();
  }

  release(): void {
    this.reserved--;
    this.maybeIdle();
  }

  onClose(cb: (c: HboneConnection) => void): void {
    if (this.st.t === "closed") cb(this);
    else this.closeListeners.push(cb);
  }

  /**
   * Send a CONNECT (consuming one reservation) and resolve with the stream once the server answered
   * 200. Any other status rejects with `bad_status` carrying it; the stream is cancelled.
   */
  open(headers: Record<string, string>, responseTimeoutMs: number): Promise<http2.ClientHttp2Stream> {
    this.reserved--;
    if (this.st.t !== "ready") {
      this.maybeIdle();
      return Promise.reject(new HboneError("closed", `hbone connection is ${this.st.t}`));
    }
    const session = this.st.session;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (e) {
      this.maybeIdle();
      return Promise.reject(HboneError.from(e, "h2_failed", "hbone request"));
    }
    this.active++;
    stream.on("error", noop);
    // 'close' fires once; `on` avoids the wrapper `once` allocates (this one lives as long as the tunnel).
    stream.on("close", () => {
      this.active--;
      this.maybeIdle();
    });
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        stream.off("error", onError);
        stream.off("close", onClose);
        stream.off("response", onResponse);
      };
      const timer = setTimeout(() => {
        done();
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new HboneError("timeout", `hbone CONNECT: no response in ${responseTimeoutMs} ms`));
      }, responseTimeoutMs);
      const onError = (e: unknown) => {
        done();
        reject(HboneError.from(e, "stream_reset", "hbone CONNECT"));
      };
      const onClose = () => {
        done();
        reject(
          new HboneError(
            "stream_reset",
            `hbone CONNECT: stream closed before response (rst ${stream.rstCode})`,
          ),
        );
      };
      const onResponse = (h: http2.IncomingHttpHeaders) => {
        done();
        const status = Number(h[":status"]);
        if (status === 200) return resolve(stream);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new HboneError("bad_status", `hbone CONNECT: status ${status}`, { status }));
      };
      stream.once("error", onError);
      stream.once("close", onClose);
      stream.once("response", onResponse);
    });
  }

  /** Stop taking streams; GOAWAY and close once the open ones finish. */
  drain(): void {
    if (this.st.t !== "ready") return;
    this.st = { t: "draining", session: this.st.session };
    this.st.session.close();
  }

  /** Tear down now (streams are reset). */
  close(error?: HboneError): void {
    const st = this.st;
    if (st.t === "closed") return;
    this.st = { t: "closed", error };
    this.clearIdle();
    if (st.t === "ready" || st.t === "draining") st.session.destroy();
    this.socket?.destroy();
    for (const cb of this.closeListeners.splice(0)) cb(this);
  }

  private async establish(): Promise<void> {
    const o = this.opts;
    const deadline = o.connectTimeoutMs ?? HboneSettings.connectTimeoutMs;
    const hop = formatSocketAddress(o.nextHop);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HboneError("timeout", `hbone connect to ${hop}: no session in ${deadline} ms`)),
        deadline,
      );
    });
    try {
      await Promise.race([this.handshake(hop), timeout]);
    } catch (e) {
      const err = HboneError.from(e, "connect_failed", `hbone connect to ${hop}`);
      this.close(err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(hop: string): Promise<void> {
    const o = this.opts;
    let raw: net.Socket;
    try {
      raw = await (o.dial ?? defaultDialer)(o.nextHop, o.sourceIp);
    } catch (e) {
      throw HboneError.from(e, "connect_failed", `hbone connect to ${hop}`);
    }
    if (this.st.t === "closed") {
      raw.destroy();
      throw new HboneError("closed", `hbone connect to ${hop}: closed while connecting`);
    }
    raw.setNoDelay(true);
    const sock = tls.connect({
      ...hboneClientOptions(o.secureContext, o.expectedIdentities),
      socket: raw,
      servername: "",
    });
    this.socket = sock;
    sock.on("error", noop);
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: unknown) =>
        reject(
          e instanceof PeerVerifyError
            ? new HboneError("identity_mismatch", `hbone tls to ${hop}: ${e.message}`, { cause: e })
            : HboneError.from(e, "tls_failed", `hbone tls to ${hop}`),
        );
      sock.once("error", onErr);
      sock.once("close", () =>
        reject(new HboneError("tls_failed", `hbone tls to ${hop}: closed during handshake`)),
      );
      sock.once("secureConnect", () => {
        sock.off("error", onErr);
        resolve();
      });
    });
    if (sock.alpnProtocol !== "h2" || sock.getProtocol() !== "TLSv1.3") {
      throw new HboneError(
        "tls_failed",
        `hbone tls to ${hop}: negotiated ${sock.getProtocol()} alpn=${String(sock.alpnProtocol)}, need TLSv1.3 + h2`,
      );
    }
    this.peerIdentities = uriSansOf(sock.getPeerCertificate()) ?? [];
    const session = http2.connect(`https://${hop}`, {
      createConnection: () => sock,
      maxSessionMemory: HboneSettings.maxSessionMemoryMb,
      settings: {
        initialWindowSize: HboneSettings.streamWindow,
        maxFrameSize: HboneSettings.maxFrameSize,
        maxHeaderListSize: HboneSettings.clientMaxHeaderListSize,
        enablePush: false,
      },
    });
    session.on("error", noop);
    await new Promise<void>((resolve, reject) => {
      session.once("error", (e) => reject(HboneError.from(e, "h2_failed", `hbone h2 to ${hop}`)));
      session.once("close", () =>
        reject(new HboneError("h2_failed", `hbone h2 to ${hop}: closed before SETTINGS`)),
      );
      session.once("remoteSettings", (s) => {
        this.peerMax = s.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
        resolve();
      });
    });
    if (this.state === "closed") {
      session.destroy();
      throw new HboneError("closed", `hbone connect to ${hop}: closed while connecting`);
    }
    session.setLocalWindowSize(HboneSettings.connectionWindow);
    session.on("remoteSettings", (s) => {
      this.peerMax = s.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
    });
    session.on("goaway", () => {
      if (this.st.t === "ready") this.st = { t: "draining", session };
    });
    session.once("close", () => this.close());
    startKeepalive(
      session,
      {
        intervalMs: o.pingIntervalMs ?? HboneSettings.pingIntervalMs,
        timeoutMs: o.pingTimeoutMs ?? HboneSettings.pingTimeoutMs,
      },
      () => {
        log.warn("hbone connection dead: no PONG", { next_hop: hop });
        this.close(new HboneError("ping_timeout", `hbone connection to ${hop}: no PING ack`));
      },
    );
    this.st = { t: "ready", session };
    this.maybeIdle();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private maybeIdle(): void {
    const ms = this.opts.idleTimeoutMs;
    if (ms === undefined || this.st.t !== "ready" || this.active + this.reserved > 0) return;
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active + this.reserved === 0) this.drain();
    }, ms);
    this.idleTimer.unref();
  }
}
