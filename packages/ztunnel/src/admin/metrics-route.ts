import type { Registry } from "prom-client";
import type { HttpAnswer } from "./http-listener.js";

/** `/metrics` and `/stats/prometheus` (the path Istio's ztunnel serves) in Prometheus text format. */
export async function metricsRoute(registry: Registry, url: URL): Promise<HttpAnswer> {
  if (url.pathname !== "/metrics" && url.pathname !== "/stats/prometheus")
    return {
      code: 404,
      body: { error: `unknown path ${url.pathname}`, paths: ["/metrics", "/stats/prometheus"] },
    };
  return { code: 200, body: await registry.metrics(), contentType: registry.contentType };
}
