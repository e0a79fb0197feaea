import type { Identity, Service, Workload } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { createLogger } from "@ambit/core";
import { type ProxyMetrics, type TrafficLabels, TrafficSeries } from "./metrics.js";

const accessLog = createLogger("access");

/** One side of a proxied connection as telemetry reports it. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly workload?: Workload | undefined;
  readonly identity?: Identity | undefined;
}

/** Everything known about a proxied connection when it opens (filled in as decisions are made). */
export interface ConnectionRecord {
  /** Log id: the HBONE traceparent (outbound: ours; inbound: the client's, when well formed). */
  readonly id: string;
  readonly reporter: "source" | "destination";
  /** Which listener took it: 15001, 15008 or 15006. */
  readonly direction: "outbound" | "inbound" | "inbound_plaintext";
  readonly startedAt: number;
  readonly src: Endpoint;
  dst: Endpoint;
  service?: Service | undefined;
  /** mTLS (HBONE) on the hop this reporter saw. */
  mtls: boolean;
  /** HBONE next hop / authority, for outbound HBONE. */
  hbone?: { readonly nextHop: string; readonly authority: string } | undefined;
}

/** Why a connection failed, already mapped by the proxy's error table. */
export interface ConnectionFailure {
  readonly code: string;
  readonly flags: string;
  readonly reason: string;
  readonly message: string;
}

/** How a connection ended. `received` = client→server bytes, `sent` = server→client bytes. */
export interface ConnectionOutcome {
  readonly received: number;
  readonly sent: number;
  readonly failure?: ConnectionFailure | undefined;
}

/** Where access-log lines go (tests capture them). */
export type AccessLogSink = (line: Record<string, unknown>) => void;

const defaultSink: AccessLogSink = (line) => accessLog.info("connection complete", line);

const u = (v: string | undefined): string => (v === undefined || v === "" ? "unknown" : v);

/** Istio traffic labels for one connection. */
export function trafficLabels(rec: ConnectionRecord, flags: string): TrafficLabels {
  const sw = rec.src.workload;
  const dw = rec.dst.workload;
  const svc = rec.service;
  const sid = rec.src.identity ?? sw?.identity;
  const did = rec.dst.identity ?? dw?.identity;
  return {
    reporter: rec.reporter,
    source_workload: u(sw?.workloadName),
    source_canonical_service: u(sw?.canonicalName),
    source_canonical_revision: u(sw?.canonicalRevision),
    source_workload_namespace: u(sw?.namespace),
    source_principal: sid && rec.mtls ? formatIdentity(sid) : "unknown",
    source_app: u(sw?.canonicalName),
    source_version: u(sw?.canonicalRevision),
    source_cluster: u(sw?.clusterId),
    destination_service: u(svc?.hostname ?? dw?.hostname),
    destination_service_namespace: u(svc?.namespace ?? dw?.namespace),
    destination_service_name: u(svc?.name ?? dw?.canonicalName),
    destination_workload: u(dw?.workloadName),
    destination_canonical_service: u(dw?.canonicalName),
    destination_canonical_revision: u(dw?.canonicalRevision),
    destination_workload_namespace: u(dw?.namespace),
    destination_principal: did && rec.mtls ? formatIdentity(did) : "unknown",
    destination_app: u(dw?.canonicalName),
    destination_version: u(dw?.canonicalRevision),
    destination_cluster: u(dw?.clusterId),
    request_protocol: "tcp",
    response_flags: flags,
    connection_security_policy: rec.mtls ? "mutual_tls" : "unknown",
  };
}

/** Stands in for "no workload / no service" as a WeakMap key. */
const NONE = Object.freeze({});
type ByService = WeakMap<object, Map<string, TrafficSeries>>;

/** An identity's part of a series key: usually the workload's own identity object. */
function idKey(id: Identity | undefined, w: Workload | undefined): string {
  if (id === undefined) return "";
  return w !== undefined && id === w.identity ? "=" : formatIdentity(id);
}

/**
 * Metrics and the access log for proxied connections: `opened` when a connection is accepted and
 * decided, `closed` exactly once when it ends, with bytes and, on failure, an actionable reason.
 * The label set of a (source, destination, service, identities, flags) tuple is built once and
 * cached by object identity: a new workload object (state update) gets a fresh label set.
 */
export class ConnectionTelemetry {
  private readonly series = new WeakMap<object, WeakMap<object, ByService>>();

  constructor(
    readonly metrics: ProxyMetrics,
    private readonly sink: AccessLogSink = defaultSink,
  ) {}

  /** The cached series of a connection's traffic labels with these response flags. */
  private seriesOf(rec: ConnectionRecord, flags: string): TrafficSeries {
    const sw = rec.src.workload;
    const dw = rec.dst.workload;
    let byDst = this.series.get(sw ?? NONE);
    if (byDst === undefined) {
      byDst = new WeakMap();
      this.series.set(sw ?? NONE, byDst);
    }
    let bySvc = byDst.get(dw ?? NONE);
    if (bySvc === undefined) {
      bySvc = new WeakMap();
      byDst.set(dw ?? NONE, bySvc);
    }
    let byRest = bySvc.get(rec.service ?? NONE);
    if (byRest === undefined) {
      byRest = new Map();
      bySvc.set(rec.service ?? NONE, byRest);
    }
    const key = `${rec.reporter}|${rec.mtls ? 1 : 0}|${flags}|${idKey(rec.src.identity, sw)}|${idKey(rec.dst.identity, dw)}`;
    let s = byRest.get(key);
    if (s === undefined) {
      s = new TrafficSeries(trafficLabels(rec, flags));
      byRest.set(key, s);
    }
    return s;
  }

  opened(rec: ConnectionRecord): void {
    const s = this.seriesOf(rec, "-");
    s.opened++;
    this.metrics.add(s);
    this.metrics.socketsOpen.inc({ reporter: rec.reporter });
  }

  closed(rec: ConnectionRecord, out: ConnectionOutcome, wasOpened = true): void {
    const f = out.failure;
    const flags = f?.flags ?? "-";
    const s = this.seriesOf(rec, flags);
    if (wasOpened) this.metrics.socketsOpen.dec({ reporter: rec.reporter });
    else s.opened++;
    s.closed++;
    if (f) s.failed++;
    s.sent += out.sent;
    s.received += out.received;
    this.metrics.add(s);
    // Built field by field (no `delete` afterwards, which would make the object a slow dictionary).
    const src = rec.src;
    const dst = rec.dst;
    const line: Record<string, unknown> = {
      id: rec.id,
      direction: rec.direction,
      reporter: rec.reporter,
      src_addr: `${src.ip}:${src.port}`,
    };
    if (src.workload) {
      line["src_workload"] = src.workload.name;
      line["src_namespace"] = src.workload.namespace;
    }
    if (src.identity) line["src_identity"] = formatIdentity(src.identity);
    line["dst_addr"] = `${dst.ip}:${dst.port}`;
    if (rec.service) line["dst_service"] = rec.service.hostname;
    if (dst.workload) {
      line["dst_workload"] = dst.workload.name;
      line["dst_namespace"] = dst.workload.namespace;
    }
    if (dst.identity) line["dst_identity"] = formatIdentity(dst.identity);
    if (rec.hbone) {
      line["hbone_next_hop"] = rec.hbone.nextHop;
      line["hbone_authority"] = rec.hbone.authority;
    }
    line["mtls"] = rec.mtls;
    line["bytes_received"] = out.received;
    line["bytes_sent"] = out.sent;
    line["duration_ms"] = Date.now() - rec.startedAt;
    line["response_flags"] = flags;
    if (f) {
      line["error"] = f.code;
      line["reason"] = f.reason;
      line["detail"] = f.message;
    }
    this.sink(line);
  }
}
