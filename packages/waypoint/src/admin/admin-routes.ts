/**
 * Admin routes (127.0.0.1 only) and the metrics route. `/config_dump` shows what the waypoint
 * serves and why: current configuration (wire JSON, version, last rejection), its certificate,
 * xDS status, readiness and recent requests. `/logging` switches level and debug tracers.
 */
import { type LogLevel, setLogLevel, setTracers } from "@ambit/core";
import type { Registry } from "prom-client";
import type { HttpAnswer } from "./http-listener.js";

/** Live getters read at request time. */
export interface WaypointAdminSources {
  readonly gateway: { readonly namespace: string; readonly name: string };
  readonly node: string;
  readonly identity: string;
  config(): unknown;
  certificates(): unknown;
  xds(): unknown;
  readiness(): unknown;
  recentRequests(): unknown;
}

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];
let currentLevel = "info";
let currentTracers: readonly string[] = [];

export function waypointConfigDump(src: WaypointAdminSources): Record<string, unknown> {
  return {
    gateway: src.gateway,
    node: src.node,
    identity: src.identity,
    config: src.config(),
    certificates: src.certificates(),
    xds: src.xds(),
    readiness: src.readiness(),
    recentRequests: src.recentRequests(),
  };
}

export function adminRoute(src: WaypointAdminSources, method: string, url: URL): HttpAnswer {
  switch (url.pathname) {
    case "/config_dump":
      return { code: 200, body: waypointConfigDump(src) };
    case "/logging": {
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
    case "/":
      return { code: 200, body: { paths: ["/config_dump", "/logging"] } };
    default:
      return { code: 404, body: { error: `unknown path ${url.pathname}` } };
  }
}

/** `/stats/prometheus` (Istio's path) and `/metrics`, Prometheus text format. */
export async function metricsRoute(registry: Registry, url: URL): Promise<HttpAnswer> {
  if (url.pathname !== "/stats/prometheus" && url.pathname !== "/metrics")
    return {
      code: 404,
      body: { error: `unknown path ${url.pathname}`, paths: ["/stats/prometheus", "/metrics"] },
    };
  return { code: 200, body: await registry.metrics(), contentType: registry.contentType };
}
