import assert from "node:assert/strict";
import { it } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { REQUEST_LABELS, type RequestLabels, WaypointMetrics } from "./metrics.js";

const base: RequestLabels = Object.fromEntries(REQUEST_LABELS.map((k) => [k, "unknown"])) as RequestLabels;
const labels = (over: Partial<RequestLabels>): RequestLabels => ({ ...base, reporter: "waypoint", ...over });

/** The same observations recorded by prom-client, the reference for the exposition format. */
async function promClientText(obs: readonly [RequestLabels, number, number, number][]): Promise<string> {
  const r = new Registry();
  const mk = (name: string, help: string, buckets: number[]) =>
    new Histogram({ name, help, labelNames: REQUEST_LABELS, buckets, registers: [r] });
  const total = new Counter({
    name: "istio_requests_total",
    help: "Total requests handled by the waypoint",
    labelNames: REQUEST_LABELS,
    registers: [r],
  });
  const dur = mk(
    "istio_request_duration_milliseconds",
    "Request duration (ms) until the response ended",
    [
      0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
      3600000,
    ],
  );
  const size = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];
  const req = mk("istio_request_bytes", "Request size (headers + body), bytes", size);
  const res = mk("istio_response_bytes", "Response size (headers + body), bytes", size);
  for (const [l, d, a, b] of obs) {
    total.inc(l);
    dur.observe(l, d);
    req.observe(l, a);
    res.observe(l, b);
  }
  return r.metrics();
}

it("waypoint metrics render exactly what prom-client renders for the same requests", async () => {
  const ok = labels({ destination_service: "reviews.bookinfo.svc.cluster.local", response_code: "200" });
  // Label values that need escaping (quote, backslash, newline) must come out as prom-client's.
  const odd = labels({
    destination_service: 'we"ird\\svc\nx',
    response_code: "503",
    response_flags: "UF,URX",
  });
  const obs: [RequestLabels, number, number, number][] = [
    [ok, 0.3, 0, 1024],
    [ok, 7.5, 120, 2048],
    [ok, 1e9, 1e9, 0],
    [odd, 12, 5, 20],
  ];
  const m = new WaypointMetrics();
  for (const [l, d, a, b] of obs) m.record(l, d, a, b);
  assert.equal(await m.text(), await promClientText(obs));
  assert.equal(m.registry.contentType, new Registry().contentType);
});

it("different cheap keys for one label set share one series; keys are bounded", async () => {
  const m = new WaypointMetrics();
  const l = labels({ response_code: "200" });
  for (let i = 0; i < 5000; i++) m.recordKeyed(`gen${i}`, () => l, 1, 1, 1);
  const text = await m.text();
  assert.match(text, /istio_requests_total\{[^}]*response_code="200"[^}]*\} 5000\n/);
  assert.equal(text.match(/^istio_requests_total\{/gm)?.length, 1);
});
