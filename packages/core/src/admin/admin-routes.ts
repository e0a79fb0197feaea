/**
 * The admin and metrics routes both proxies serve the same way; each proxy only supplies its
 * `/config_dump` body. `/logging` (`?level=debug|info|warn|error`, `?tracers=a,b`; without
 * parameters shows the current settings) changes the process-wide logger, so its state is
 * process-wide too.
 */
import { type LogLevel, setLogLevel, setTracers } from "../logger.js";
import type { HttpAnswer } from "./http-listener.js";

/** What the metrics route needs of a prom-client `Registry` (core does not depend on prom-client). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];
let currentLevel = "info";
let currentTracers: readonly string[] = [];

/** `/logging`: GET shows, GET/POST/PUT with parameters switch level and debug tracers. */
export function loggingRoute(method: string, url: URL): HttpAnswer {
  if (method !== "GET" && method !== "POST" && method !== "PUT")
    return { code: 405, body: { error: "use POST" } };
  const level = url.searchParams.get("level");
  const tracers = url.searchParams.get("tracers");
  if (level !== null) {
    if (!LEVELS.includes(level))
      return { code: 400, body: { error: `unknown level ${level}`, levels: LEVELS } };
    setLogLevel(level as LogLevel);
    currentLevel = level;
  }
  if (tracers !== null) {
    currentTracers = tracers.split(",").filter((t) => t !== "");
    setTracers(currentTracers);
  }
  return { code: 200, body: { level: currentLevel, tracers: currentTracers } };
}

/** Admin routes (localhost only): `/config_dump` (the proxy's own body, built per request), `/logging`, `/`. */
export function adminRoutes(configDump: () => unknown, method: string, url: URL): HttpAnswer {
  switch (url.pathname) {
    case "/config_dump":
      return { code: 200, body: configDump() };
    case "/logging":
      return loggingRoute(method, url);
    case "/":
      return { code: 200, body: { paths: ["/config_dump", "/logging"] } };
    default:
      return { code: 404, body: { error: `unknown path ${url.pathname}` } };
  }
}

/** `/stats/prometheus` (the path Istio's proxies serve) and `/metrics`, Prometheus text format. */
export async function metricsRoute(registry: MetricsSource, url: URL): Promise<HttpAnswer> {
  if (url.pathname !== "/stats/prometheus" && url.pathname !== "/metrics")
    return {
      code: 404,
      body: { error: `unknown path ${url.pathname}`, paths: ["/stats/prometheus", "/metrics"] },
    };
  return { code: 200, body: await registry.metrics(), contentType: registry.contentType };
}
