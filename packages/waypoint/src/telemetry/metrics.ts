/** Istio's standard HTTP metric labels (the subset a waypoint knows), in Istio's order. */
export const REQUEST_LABELS = [
  "reporter",
  "source_workload",
  "source_canonical_service",
  "source_canonical_revision",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "destination_workload",
  "destination_canonical_service",
  "destination_canonical_revision",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_cluster",
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

/** One label set's values for the four metrics. */
interface Series {
  readonly labels: RequestLabels;
  /** `a="x",b="y"` (escaped), rendered once. */
  readonly text: string;
  requests: number;
  readonly duration: Hist;
  readonly requestBytes: Hist;
  readonly responseBytes: Hist;
}

interface Hist {
  sum: number;
  count: number;
  /** Per bucket (not cumulative; summed when rendered). */
  readonly buckets: Float64Array;
}

/** Istio's duration buckets (ms). */
const DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];
/** Istio's size buckets (bytes): 1 … 10^8, ×10. */
const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

/** Cheap keys remembered before the alias map starts over. */
const MAX_KEYS = 4096;

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function hist(n: number): Hist {
  return { sum: 0, count: 0, buckets: new Float64Array(n) };
}

function observe(h: Hist, bounds: readonly number[], v: number): void {
  if (!Number.isFinite(v)) return;
  h.sum += v;
  h.count++;
  for (let i = 0; i < bounds.length; i++) {
    if (v <= (bounds[i] as number)) {
      (h.buckets as Float64Array)[i] = ((h.buckets as Float64Array)[i] as number) + 1;
      return;
    }
  }
}

/**
 * The four standard Istio HTTP metrics, kept by the waypoint itself and rendered in the
 * Prometheus text format (the same lines prom-client writes: `metrics.test.ts` compares them).
 *
 * Why not prom-client here: its labelled children re-validate and re-hash all 25 labels on every
 * `inc`/`observe`, four times per request — a measurable share of the waypoint's CPU per
 * request. Here a request costs a map lookup by a short key and a few additions.
 */
export class WaypointMetrics {
  /** Every label set seen, by its canonical key (the exposition's series; kept for good). */
  private readonly byLabels = new Map<string, Series>();
  /** Callers' cheap keys → series; bounded (keys change with each config generation). */
  private readonly byKey = new Map<string, Series>();

  /** What the admin `/stats/prometheus` route reads (core `MetricsSource`). */
  readonly registry = {
    metrics: (): Promise<string> => Promise.resolve(this.render()),
    contentType: CONTENT_TYPE,
  };

  record(labels: RequestLabels, durationMs: number, reqBytes: number, resBytes: number): void {
    let key = "";
    for (const k of REQUEST_LABELS) key += `${labels[k]}\u0001`;
    this.recordKeyed(key, () => labels, durationMs, reqBytes, resBytes);
  }

  /**
   * {@link record} with the caller's cheap `key` for the label set: the labels are built (and
   * rendered) only the first time a key is seen. Returns the labels.
   */
  recordKeyed(
    key: string,
    labels: () => RequestLabels,
    durationMs: number,
    reqBytes: number,
    resBytes: number,
  ): RequestLabels {
    let s = this.byKey.get(key);
    if (!s) {
      const l = labels();
      // Two keys may describe one label set (keys carry more than the labels): share the series.
      let canonical = "";
      for (const k of REQUEST_LABELS) canonical += `${l[k]}\u0001`;
      s = this.byLabels.get(canonical);
      if (!s) {
        s = {
          labels: l,
          text: REQUEST_LABELS.map((k) => `${k}="${escapeLabel(l[k])}"`).join(","),
          requests: 0,
          duration: hist(DURATION_BUCKETS.length),
          requestBytes: hist(SIZE_BUCKETS.length),
          responseBytes: hist(SIZE_BUCKETS.length),
        };
        this.byLabels.set(canonical, s);
      }
      if (this.byKey.size >= MAX_KEYS) this.byKey.clear();
      this.byKey.set(key, s);
    }
    s.requests++;
    observe(s.duration, DURATION_BUCKETS, durationMs);
    observe(s.requestBytes, SIZE_BUCKETS, reqBytes);
    observe(s.responseBytes, SIZE_BUCKETS, resBytes);
    return s.labels;
  }

  /** Prometheus text exposition. */
  text(): Promise<string> {
    return Promise.resolve(this.render());
  }

  private render(): string {
    const all = [...this.byLabels.values()];
    let out = "# HELP istio_requests_total Total requests handled by the waypoint\n";
    out += "# TYPE istio_requests_total counter\n";
    for (const s of all) out += `istio_requests_total{${s.text}} ${s.requests}\n`;
    out += "\n";
    out += renderHist(
      "istio_request_duration_milliseconds",
      "Request duration (ms) until the response ended",
      DURATION_BUCKETS,
      all,
      (s) => s.duration,
    );
    out += "\n";
    out += renderHist(
      "istio_request_bytes",
      "Request size (headers + body), bytes",
      SIZE_BUCKETS,
      all,
      (s) => s.requestBytes,
    );
    out += "\n";
    out += renderHist(
      "istio_response_bytes",
      "Response size (headers + body), bytes",
      SIZE_BUCKETS,
      all,
      (s) => s.responseBytes,
    );
    return out;
  }
}

function renderHist(
  name: string,
  help: string,
  bounds: readonly number[],
  all: readonly Series[],
  pick: (s: Series) => Hist,
): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  for (const s of all) {
    const h = pick(s);
    let cum = 0;
    for (let i = 0; i < bounds.length; i++) {
      cum += h.buckets[i] as number;
      out += `${name}_bucket{le="${bounds[i]}",${s.text}} ${cum}\n`;
    }
    out += `${name}_bucket{le="+Inf",${s.text}} ${h.count}\n`;
    out += `${name}_sum{${s.text}} ${h.sum}\n`;
    out += `${name}_count{${s.text}} ${h.count}\n`;
  }
  return out;
}
