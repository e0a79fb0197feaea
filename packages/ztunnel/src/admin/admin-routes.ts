import { type LogLevel, setLogLevel, setTracers } from "@ambit/core";
import type { HttpAnswer } from "./http-listener.js";

/** Everything `/config_dump` shows; each getter reads live state at request time. */
export interface AdminSources {
  readonly node: string;
  /** ProxyState's own dump: workloads, services, policies. */
  state(): { readonly workloads: unknown; readonly services: unknown; readonly policies: unknown };
  certificates(): unknown;
  /** Per-pod proxy sets (in-pod workloads received over ZDS). */
  proxies(): unknown;
  /** Open inbound connections (policy-rechecked). */
  connections(): unknown;
  /** Recently closed connections (access-log lines). */
  recentConnections(): unknown;
  xds(): unknown;
  readiness(): unknown;
}

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];
let currentLevel = "info";
let currentTracers: readonly string[] = [];

/** The config dump body (istioctl ztunnel-config reads the same sections). */
export function configDump(src: AdminSources): Record<string, unknown> {
  const st = src.state();
  return {
    node: src.node,
    workloads: st.workloads,
    services: st.services,
    policies: st.policies,
    certificates: src.certificates(),
    proxies: src.proxies(),
    connections: src.connections(),
    recentConnections: src.recentConnections(),
    xds: src.xds(),
    readiness: src.readiness(),
  };
}

/**
 * Admin routes (localhost only): `/config_dump`, `/logging` (`?level=debug|info|warn|error`,
 * `?tracers=a,b` switches debug tracers; without parameters shows the current settings).
 */
export function adminRoute(src: AdminSources, method: string, url: URL): HttpAnswer {
  switch (url.pathname) {
    case "/config_dump":
      return { code: 200, body: configDump(src) };
    case "/logging": {
      const level = url.searchParams.get("level");
      const tracers = url.searchParams.get("tracers");
      if (method !== "GET" && method !== "POST" && method !== "PUT")
        return { code: 405, body: { error: "use POST" } };
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
