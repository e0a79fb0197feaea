import type { BenchPath } from "./bench-path.js";
import { upstream } from "./upstreams.js";

/**
 * Baseline: no proxy at all. Packets still cross both node namespaces and the bridge (routed), so
 * the difference to every other path is the proxies alone.
 */
export const benchPath: BenchPath = {
  name: "direct",
  kind: "baseline",
  description: "no mesh: client pod → routed through node A → bridge → node B → server pod",
  needs: [],
  async setup(ctx) {
    const http = upstream(ctx, "http");
    const iperf = upstream(ctx, "iperf");
    return { targets: { http, iperf }, procs: [] };
  },
  async teardown() {},
};
