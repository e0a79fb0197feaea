import type { Identity, Service, Workload } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { createLogger } from "@ambit/core";
import type { ProxyMetrics, TrafficLabels } from "./metrics.js";

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

/**
 * Metrics and the access log for proxied connections: `opened` when a connection is accepted and
 * decided, `closed` exactly once when it ends, with bytes and, on failure, an actionable reason.
 */
export class ConnectionTelemetry {
  constructor(
    readonly metrics: ProxyMetrics,
    private readonly sink: AccessLogSink = defaultSink,
  ) {}

  opened(rec: ConnectionRecord): void {
    this.metrics.opened.inc(trafficLabels(rec, "-"));
    this.metrics.socketsOpen.inc({ reporter: rec.reporter });
  }

  closed(rec: ConnectionRecord, out: ConnectionOutcome, wasOpened = true): void {
    const labels = trafficLabels(rec, out.failure?.flags ?? "-");
    if (wasOpened) this.metrics.socketsOpen.dec({ reporter: rec.reporter });
    else this.metrics.opened.inc(labels);
    this.metrics.closed.inc(labels);
    if (out.failure) this.metrics.failed.inc(labels);
    if (out.sent > 0) this.metrics.sentBytes.inc(labels, out.sent);
    if (out.received > 0) this.metrics.receivedBytes.inc(labels, out.received);
    const line: Record<string, unknown> = {
      id: rec.id,
      direction: rec.direction,
      reporter: rec.reporter,
      src_addr: `${rec.src.ip}:${rec.src.port}`,
      src_workload: rec.src.workload?.name,
      src_namespace: rec.src.workload?.namespace,
      src_identity: rec.src.identity ? formatIdentity(rec.src.identity) : undefined,
      dst_addr: `${rec.dst.ip}:${rec.dst.port}`,
      dst_service: rec.service?.hostname,
      dst_workload: rec.dst.workload?.name,
      dst_namespace: rec.dst.workload?.namespace,
      dst_identity: rec.dst.identity ? formatIdentity(rec.dst.identity) : undefined,
      hbone_next_hop: rec.hbone?.nextHop,
      hbone_authority: rec.hbone?.authority,
      mtls: rec.mtls,
      bytes_received: out.received,
      bytes_sent: out.sent,
      duration_ms: Date.now() - rec.startedAt,
      response_flags: out.failure?.flags ?? "-",
      error: out.failure?.code,
      reason: out.failure?.reason,
      detail: out.failure?.message,
    };
    for (const k of Object.keys(line)) if (line[k] === undefined) delete line[k];
    this.sink(line);
  }
}
