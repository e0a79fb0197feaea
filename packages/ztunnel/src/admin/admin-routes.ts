import { adminRoutes, type HttpAnswer } from "@ambit/core";

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
 * Admin routes (localhost only): `/config_dump` with ztunnel's sections, plus core's `/logging`
 * (`?level=debug|info|warn|error`, `?tracers=a,b`; without parameters shows the current settings).
 */
export function adminRoute(src: AdminSources, method: string, url: URL): HttpAnswer {
  return adminRoutes(() => configDump(src), method, url);
}
