export type { MetricsSource } from "./admin-routes.js";
export { adminRoutes, loggingRoute, metricsRoute } from "./admin-routes.js";
export type { HttpAnswer, HttpListener, HttpRoute } from "./http-listener.js";
export { listenHttp, toJsonText } from "./http-listener.js";
