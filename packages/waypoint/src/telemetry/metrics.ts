import { Counter, Histogram, Registry } from "prom-client";

/** Istio's standard HTTP metric labels (the subset a waypoint knows), in Istio's order. */
export const REQUEST_LABELS = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "request_protocol",
  "response_code",
  "grpc_response_status",
  "response_flags",
  "connection_security_policy",
] as const;

export type RequestLabels = Record<(typeof REQUEST_LABELS)[number], string>;

interface SeriesChildren {
  readonly labels: RequestLabels;
  readonly total: { inc(): void };
  readonly duration: { observe(v: number): void };
  readonly requestBytes: { observe(v: number): void };
  readonly responseBytes: { observe(v: number): void };
}

const MAX_CACHED_SERIES = 4096;

/** Istio's duration buckets (ms). */
const DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];
/** Istio's size buckets (bytes): 1 … 10^8, ×10. */
const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

/**
 * The four standard Istio HTTP metrics, in their own registry so a process can expose them next
 * to others (and tests can read them without global state).
 */
export class WaypointMetrics {
  readonly registry = new Registry();
  private readonly total = new Counter({
    name: "istio_requests_total",
    help: "Total requests handled by the waypoint",
    labelNames: REQUEST_LABELS,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "istio_request_duration_milliseconds",
    help: "Request duration (ms) until the response ended",
    labelNames: REQUEST_LABELS,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly requestBytes = new Histogram({
    name: "istio_request_bytes",
    help: "Request size (headers + body), bytes",
    labelNames: REQUEST_LABELS,
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  private readonly responseBytes = new Histogram({
    name: "istio_response_bytes",
    help: "Response size (headers + body), bytes",
    labelNames: REQUEST_LABELS,
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });

  /**
   * prom-client hashes a label object (sorting its keys) on every inc/observe: four times per
   * request with 19 labels. Label sets repeat (same service, code, peer), so the four children of
   * a label set are looked up once by a cheap joined key and kept.
   */
  private readonly children = new Map<string, SeriesChildren>();

  record(labels: RequestLabels, durationMs: number, reqBytes: number, resBytes: number): void {
    let key = "";
    for (const k of REQUEST_LABELS) key += `${labels[k]}\u0001`;
    this.recordKeyed(key, () => labels, durationMs, reqBytes, resBytes);
  }

  /**
   * {@link record} with the caller's cheap `key` for the label set: the labels are built (and the
   * children looked up) only the first time a key is seen. Returns the labels.
   */
  recordKeyed(
    key: string,
    labels: () => RequestLabels,
    durationMs: number,
    reqBytes: number,
    resBytes: number,
  ): RequestLabels {
    let c = this.children.get(key);
    if (!c) {
      // Bounded: a label explosion must not grow this cache without end (prom-client keeps the series).
      if (this.children.size >= MAX_CACHED_SERIES) this.children.clear();
      const l = labels();
      c = {
        labels: l,
        total: this.total.labels(l),
        duration: this.duration.labels(l),
        requestBytes: this.requestBytes.labels(l),
        responseBytes: this.responseBytes.labels(l),
      };
      this.children.set(key, c);
    }
    c.total.inc();
    c.duration.observe(durationMs);
    c.requestBytes.observe(reqBytes);
    c.responseBytes.observe(resBytes);
    return c.labels;
  }

  /** Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
