import { Counter, Gauge, Registry } from "prom-client";

/**
 * Istio's ztunnel TCP metrics (wire-spec §2.4): same names, same label set in the same order, so
 * Istio dashboards and Kiali queries work unchanged. prom-client adds no suffix, hence `_total`
 * is part of each counter's name here.
 */
export const TRAFFIC_LABELS = [
  "reporter",
  "source_workload",
  "source_canonical_service",
  "source_canonical_revision",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "destination_service",
  "destination_service_namespace",
  "destination_service_name",
  "destination_workload",
  "destination_canonical_service",
  "destination_canonical_revision",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_cluster",
  "request_protocol",
  "response_flags",
  "connection_security_policy",
] as const;

export type TrafficLabel = (typeof TRAFFIC_LABELS)[number];
export type TrafficLabels = Record<TrafficLabel, string>;

/**
 * One traffic label set's counts since the last scrape. The proxy adds to these plain numbers per
 * connection; prom-client sees them only at scrape time. `Counter.inc(labels)` hashes and
 * validates all 23 labels on every call, five times per connection otherwise.
 */
export class TrafficSeries {
  opened = 0;
  closed = 0;
  failed = 0;
  sent = 0;
  received = 0;
  dirty = false;
  constructor(readonly labels: TrafficLabels) {}
}

/** The ztunnel proxy metrics, registered on one registry (served on :15020). */
export class ProxyMetrics {
  readonly registry: Registry;
  readonly opened: Counter<TrafficLabel>;
  readonly closed: Counter<TrafficLabel>;
  readonly failed: Counter<TrafficLabel>;
  readonly sentBytes: Counter<TrafficLabel>;
  readonly receivedBytes: Counter<TrafficLabel>;
  readonly socketsOpen: Gauge<"reporter">;

  private pending: TrafficSeries[] = [];

  constructor(registry = new Registry()) {
    this.registry = registry;
    const flush = () => this.flush();
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: TRAFFIC_LABELS, registers: [registry], collect: flush });
    this.opened = counter("istio_tcp_connections_opened_total", "The total number of TCP connections opened");
    this.closed = counter("istio_tcp_connections_closed_total", "The total number of TCP connections closed");
    this.failed = counter(
      "istio_tcp_connections_failed_total",
      "The total number of TCP connections that failed",
    );
    this.sentBytes = counter("istio_tcp_sent_bytes_total", "The size of total bytes sent during response");
    this.receivedBytes = counter(
      "istio_tcp_received_bytes_total",
      "The size of total bytes received during request",
    );
    this.socketsOpen = new Gauge({
      name: "istio_tcp_sockets_open",
      help: "The number of currently open proxied TCP sockets",
      labelNames: ["reporter"],
      registers: [registry],
    });
  }

  /** Count into `series` (flushed into the counters at the next scrape or {@link flush}). */
  add(series: TrafficSeries): void {
    if (series.dirty) return;
    series.dirty = true;
    this.pending.push(series);
  }

  /** Move the pending per-series counts into the prom-client counters (idempotent). */
  flush(): void {
    const list = this.pending;
    if (list.length === 0) return;
    this.pending = [];
    for (const s of list) {
      s.dirty = false;
      if (s.opened > 0) this.opened.inc(s.labels, s.opened);
      if (s.closed > 0) this.closed.inc(s.labels, s.closed);
      if (s.failed > 0) this.failed.inc(s.labels, s.failed);
      if (s.sent > 0) this.sentBytes.inc(s.labels, s.sent);
      if (s.received > 0) this.receivedBytes.inc(s.labels, s.received);
      s.opened = s.closed = s.failed = s.sent = s.received = 0;
    }
  }
}
