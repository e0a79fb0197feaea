export type { WaypointAdminSources, WaypointReadiness, WaypointReadinessInputs } from "./admin/index.js";
export { decideWaypointReadiness, waypointConfigDump } from "./admin/index.js";
export type { ListenAddress, WaypointApp, WaypointProcessConfig } from "./app.js";
export { startWaypoint } from "./app.js";
export type { ConfigErrorCode } from "./config/config-error.js";
export { ConfigError } from "./config/config-error.js";
export { fromWaypointConfig } from "./config/from-pb.js";
export type * from "./config/types.js";
export type {
  HttpProtocol,
  L7Request,
  L7Response,
  Layer,
  RequestContext,
  RequestNotes,
} from "./filter/types.js";
export type { PipelineOptions, PipelineResult, TunnelInfo } from "./listener/request-pipeline.js";
export { createPipeline } from "./listener/request-pipeline.js";
export type { TunnelProtocol } from "./listener/sniff.js";
export { classifyPrefix } from "./listener/sniff.js";
export type { WaypointServerOptions } from "./listener/waypoint-server.js";
export { parseAuthority, WaypointServer } from "./listener/waypoint-server.js";
export type { AuthzDecision, AuthzInput } from "./route/authorize.js";
export { authorizeRequest, istioMatch } from "./route/authorize.js";
export type { CompiledJwtRule, JwkKey, JwtResult } from "./route/jwt.js";
export { authenticateJwt, compileJwtRules, parseJwks } from "./route/jwt.js";
export type { EndpointChoice, Random } from "./route/pick.js";
export { pickEndpoint, pickWeighted } from "./route/pick.js";
export { modifyPath, redirectLocation } from "./route/rewrite.js";
export type { RouteInput, RouteSelection } from "./route/route-match.js";
export { matchAccepts, matchPrecedence, prefixMatches, routesOf, selectRoute } from "./route/route-match.js";
export type { AccessLogRecord, AccessLogSink } from "./telemetry/access-log.js";
export { stdoutAccessLog } from "./telemetry/access-log.js";
export { REQUEST_LABELS, WaypointMetrics } from "./telemetry/metrics.js";
export type { WaypointErrorCode } from "./waypoint-error.js";
export { WaypointError } from "./waypoint-error.js";
export type {
  AppliedWaypointConfig,
  WaypointConfigRejection,
  WaypointNodeInfo,
  WaypointXdsClientOptions,
} from "./xds/index.js";
export {
  buildWaypointNode,
  convertWaypointResource,
  WAYPOINT_TYPE_URL,
  WaypointConfigUpdater,
  WaypointXdsClient,
  waypointNodeId,
  waypointResourceName,
} from "./xds/index.js";
