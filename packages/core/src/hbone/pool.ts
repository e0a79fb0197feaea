import type http2 from "node:http2";
import type tls from "node:tls";
import type { Identity, SocketAddress } from "@ambit/api";
import { formatIdentity, formatSocketAddress } from "@ambit/api";
import { type Dialer, HboneConnection } from "./client-connection.js";
import { HboneError } from "./hbone-error.js";
import { HboneSettings } from "./settings.js";

/**
 * Which connections may be shared (wire-spec §1.8): a connection is reused only on exact equality
 * of source identity, the expected destination identities (order-insensitive), next hop and source IP.
 */
export interface HbonePoolKey {
  readonly sourceIdentity: Identity;
  readonly destinationIdentities: readonly Identity[];
  readonly nextHop: SocketAddress;
  readonly sourceIp: string | undefined;
}

/** One CONNECT to carry out through the pool. */
export interface HboneStreamRequest extends HbonePoolKey {
  /** Client cert of `sourceIdentity` plus trust bundle; used only when a new connection is opened. */
  readonly secureContext: tls.SecureContext;
  /** Full CONNECT header block, from `connectHeaders()`. */
  readonly headers: Record<string, string>;
}

export interface HbonePoolOptions {
  readonly dial?: Dialer;
  readonly maxStreamsPerConnection?: number;
  readonly idleReleaseMs?: number;
  readonly connectTimeoutMs?: number;
  readonly responseTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
}

/** Serialised pool key; exported for tests and the config dump. */
export function poolKeyString(k: HbonePoolKey): string {
  const dst = k.destinationIdentities.map(formatIdentity).sort().join(",");
  return `${formatIdentity(k.sourceIdentity)}|${dst}|${formatSocketAddress(k.nextHop)}|${k.sourceIp ?? ""}`;
}

/** Snapshot of one pooled connection, for admin/config dump and tests. */
export interface PooledConnectionInfo {
  readonly key: string;
  readonly state: string;
  readonly streams: number;
  readonly capacity: number;
}

/**
 * HBONE client connection pool: 1..n connections per key, each carrying at most `capacity`
 * streams; opens another connection when all are full; concurrent first uses wait on one
 * handshake; idle connections are released after `idleReleaseMs`. One pool per source workload
 * (per pod proxy set) so one pod's churn cannot starve another's.
 */
export class HbonePool {
  private readonly byKey = new Map<string, HboneConnection[]>();
  private closed = false;

  constructor(private readonly opts: HbonePoolOptions = {}) {}

  /**
   * A CONNECT stream that the server answered with 200. Rejects with {@link HboneError}
   * (`bad_status` carries the status). The caller owns the stream (see `pipeSocketStream`).
   */
  async connect(req: HboneStreamRequest): Promise<http2.ClientHttp2Stream> {
    const key = poolKeyString(req);
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new HboneError("closed", "hbone pool closed");
      const conn = this.checkout(key, req);
      try {
        await conn.ready;
      } catch (e) {
        conn.release();
        throw e;
      }
      // The peer may have advertised fewer streams than we reserved, or sent GOAWAY meanwhile.
      if (conn.state !== "ready" || (conn.streams >= conn.capacity && attempt < 5)) {
        conn.release();
        if (attempt < 5) continue;
        throw new HboneError("closed", `hbone connection is ${conn.state}`);
      }
      // The server answers only after its own upstream connect (≤ 10 s): wait a little longer.
      return conn.open(req.headers, this.opts.responseTimeoutMs ?? HboneSettings.connectTimeoutMs + 5_000);
    }
  }

  /** Connections currently pooled. */
  connections(): PooledConnectionInfo[] {
    const out: PooledConnectionInfo[] = [];
    for (const [key, conns] of this.byKey) {
      for (const c of conns) out.push({ key, state: c.state, streams: c.streams, capacity: c.capacity });
    }
    return out;
  }

  /** GOAWAY every connection; with `force`, reset them instead. */
  close(force = false): void {
    this.closed = true;
    for (const conns of this.byKey.values()) {
      for (const c of [...conns]) {
        if (force) c.close(new HboneError("closed", "hbone pool closed"));
        else c.drain();
      }
    }
  }

  private checkout(key: string, req: HboneStreamRequest): HboneConnection {
    let list = this.byKey.get(key);
    const existing = list?.find((c) => c.hasRoom());
    if (existing) {
      existing.reserve();
      return existing;
    }
    const o = this.opts;
    const conn = new HboneConnection({
      nextHop: req.nextHop,
      sourceIp: req.sourceIp,
      secureContext: req.secureContext,
      expectedIdentities: req.destinationIdentities,
      idleTimeoutMs: o.idleReleaseMs ?? HboneSettings.idleReleaseMs,
      ...(o.dial ? { dial: o.dial } : {}),
      ...(o.maxStreamsPerConnection ? { maxStreams: o.maxStreamsPerConnection } : {}),
      ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      ...(o.pingIntervalMs ? { pingIntervalMs: o.pingIntervalMs } : {}),
      ...(o.pingTimeoutMs ? { pingTimeoutMs: o.pingTimeoutMs } : {}),
    });
    if (!list) {
      list = [];
      this.byKey.set(key, list);
    }
    list.push(conn);
    conn.onClose(() => {
      const l = this.byKey.get(key);
      if (!l) return;
      const i = l.indexOf(conn);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) this.byKey.delete(key);
    });
    conn.reserve();
    return conn;
  }
}
