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

  record(labels: RequestLabels, durationMs: number, reqBytes: number, resBytes: number): void {
    this.total.inc(labels);
    this.duration.observe(labels, durationMs);
    this.requestBytes.observe(labels, reqBytes);
    this.responseBytes.observe(labels, resBytes);
  }

  /** Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
