export type { HttpAnswer, HttpListener } from "@ambit/core";
export { listenHttp, toJsonText } from "@ambit/core";
export type { WaypointAdminSources } from "./admin-routes.js";
export { adminRoute, metricsRoute, waypointConfigDump } from "./admin-routes.js";
export type { WaypointReadiness, WaypointReadinessInputs } from "./readiness.js";
export { decideWaypointReadiness, readinessRoute } from "./readiness.js";
export { RecentRequests } from "./recent-requests.js";
