import { formatIdentity } from "@ambit/api";
import type { L7Request } from "../filter/types.js";
import type { PipelineResult, TunnelInfo } from "../listener/request-pipeline.js";
import { weakMemo } from "../weak-memo.js";
import { type AccessLogSink, isoTime } from "./access-log.js";
import type { RequestLabels, WaypointMetrics } from "./metrics.js";

/** Everything known when a request finished. */
export interface FinishedRequest {
  readonly req: L7Request;
  readonly tunnel: TunnelInfo | undefined;
  readonly status: number;
  readonly result: PipelineResult | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Set when the waypoint answered before routing (bad request). */
  readonly reason?: string;
}

const u = (v: string | undefined) => (v === undefined || v === "" ? "unknown" : v);

/** Istio's label values for one request (reporter `waypoint`, as Istio's waypoints report). */
export function requestLabels(f: FinishedRequest): RequestLabels {
  const t = f.tunnel;
  const notes = f.result?.notes;
  const svc = notes?.upstreamService ?? t?.listener.hostname;
  const backend = svc ? t?.state.backends.get(svc) : undefined;
  const ep = backend?.endpoints.find((e) =>
    notes?.upstream?.startsWith(e.address.includes(":") ? `[${e.address}]` : `${e.address}:`),
  );
  const grpc = String(f.req.headers["content-type"] ?? "").startsWith("application/grpc");
  const grpcStatus =
    f.result?.response.trailers?.()?.["grpc-status"] ?? f.result?.response.headers["grpc-status"];
  const src = t?.source;
  return {
    reporter: "waypoint",
    // ztunnel's conventions (its connection metrics): app/version are the canonical names.
    source_workload: u(src?.workload),
    source_canonical_service: u(src?.canonicalName),
    source_canonical_revision: u(src?.canonicalRevision),
    source_workload_namespace: u(t?.peerIdentity.namespace),
    source_principal: t ? formatIdentity(t.peerIdentity) : "unknown",
    source_app: u(src?.canonicalName),
    source_version: u(src?.canonicalRevision),
    source_cluster: u(src?.cluster),
    destination_workload: u(ep?.workloadName || ep?.workload.split("/")[1]),
    destination_canonical_service: u(ep?.canonicalName),
    destination_canonical_revision: u(ep?.canonicalRevision),
    destination_workload_namespace: u(ep?.workload.split("/")[0]),
    destination_principal: u(ep?.identity),
    destination_app: u(ep?.canonicalName || ep?.app),
    destination_version: u(ep?.canonicalRevision || ep?.version),
    destination_cluster: ep && t ? t.state.clusterId : "unknown",
    destination_service: u(svc),
    destination_service_name: u(backend?.name ?? t?.listener.name),
    destination_service_namespace: u(backend?.namespace ?? t?.listener.namespace),
    request_protocol: grpc ? "grpc" : "http",
    response_code: String(f.status),
    grpc_response_status: grpc && grpcStatus !== undefined ? String(grpcStatus) : "",
    response_flags: notes && notes.flags.length > 0 ? notes.flags.join(",") : "-",
    connection_security_policy: "mutual_tls",
  };
}

let nextStateId = 1;
/** A small number per config object (generation), so keys stay short. */
const stateId = weakMemo((_state: object) => nextStateId++);
/** The tunnel's part of the key (config generation, service, peer, its workload), built once per tunnel. */
const tunnelKey = weakMemo((t: TunnelInfo) => {
  const id = t.peerIdentity;
  const s = t.source;
  const src = s ? `${s.workload}/${s.canonicalName}/${s.canonicalRevision}/${s.cluster}` : "";
  return `${stateId(t.state)}|${t.listener.hostname}|${id.trustDomain}/${id.namespace}/${id.serviceAccount}|${src}`;
});

/**
 * Everything {@link requestLabels} depends on, as a short string: requests of one label set (same
 * config generation, service, endpoint, status, flags, peer and its workload) share it, so the
 * 25 labels and the metric children are built once per set instead of once per request.
 */
export function labelKey(f: FinishedRequest): string {
  const t = f.tunnel;
  const n = f.result?.notes;
  const prefix = t ? tunnelKey(t) : "-|-|-";
  const grpc = String(f.req.headers["content-type"] ?? "").startsWith("application/grpc");
  const grpcStatus = grpc
    ? (f.result?.response.trailers?.()?.["grpc-status"] ?? f.result?.response.headers["grpc-status"])
    : undefined;
  return `${prefix}|${n?.upstreamService}|${n?.upstream}|${f.status}|${n?.flags.join(",")}|${grpc}|${grpcStatus}`;
}

/** Record metrics and write the access-log line for one request. */
export function reportRequest(
  metrics: WaypointMetrics | undefined,
  sink: AccessLogSink | undefined,
  f: FinishedRequest,
): void {
  const duration = f.endMs - f.startMs;
  const labels = metrics
    ? metrics.recordKeyed(labelKey(f), () => requestLabels(f), duration, f.requestBytes, f.responseBytes)
    : requestLabels(f);
  const notes = f.result?.notes;
  sink?.({
    start_time: isoTime(f.startMs),
    duration_ms: Math.round(duration * 1000) / 1000,
    protocol: f.req.protocol === "http2" ? "HTTP/2" : "HTTP/1.1",
    method: f.req.method,
    path: f.req.path + f.req.search,
    authority: f.req.authority,
    response_code: f.status,
    response_flags: labels.response_flags,
    route: f.result?.route?.name ?? "-",
    upstream: notes?.upstream ?? "-",
    upstream_service: notes?.upstreamService ?? "-",
    reason: f.reason ?? notes?.reason ?? "-",
    attempts: notes?.attempts ?? 0,
    bytes_received: f.requestBytes,
    bytes_sent: f.responseBytes,
    source_principal: labels.source_principal,
    destination_service: labels.destination_service,
  });
}
