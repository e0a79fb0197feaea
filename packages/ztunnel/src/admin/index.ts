export type { AdminSources } from "./admin-routes.js";
export { adminRoute, configDump } from "./admin-routes.js";
export type { HttpAnswer, HttpListener } from "./http-listener.js";
export { listenHttp, toJson } from "./http-listener.js";
export { metricsRoute } from "./metrics-route.js";
export { RecentConnections } from "./recent-connections.js";
