export type { HttpAnswer, HttpListener } from "@ambit/core";
export { listenHttp, metricsRoute, toJsonText } from "@ambit/core";
export type { AdminSources } from "./admin-routes.js";
export { adminRoute, configDump } from "./admin-routes.js";
export { RecentConnections } from "./recent-connections.js";
