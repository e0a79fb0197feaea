export type {
  AccessLogSink,
  ConnectionFailure,
  ConnectionOutcome,
  ConnectionRecord,
  Endpoint as TelemetryEndpoint,
} from "./connection-telemetry.js";
export { ConnectionTelemetry, trafficLabels } from "./connection-telemetry.js";
export type { TrafficLabel, TrafficLabels } from "./metrics.js";
export { ProxyMetrics, TRAFFIC_LABELS } from "./metrics.js";
