/**
 * Admin routes (127.0.0.1 only) and the metrics route. `/config_dump` shows what the waypoint
 * serves and why: current configuration (wire JSON, version, last rejection), its certificate,
 * xDS status, readiness and recent requests. `/logging` switches level and debug tracers.
 */
import { adminRoutes, type HttpAnswer } from "@ambit/core";

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

/** Admin routes (localhost only): `/config_dump` with the waypoint's sections, plus core's `/logging`. */
export function adminRoute(src: WaypointAdminSources, method: string, url: URL): HttpAnswer {
  return adminRoutes(() => waypointConfigDump(src), method, url);
}

/** `/stats/prometheus` and `/metrics`: core's route, re-exported so the app imports one place. */
export { metricsRoute } from "@ambit/core";
