import { BenchPorts } from "../bench-ports.js";
import type { Endpoint, PathContext, Upstream, UpstreamName } from "./bench-path.js";

/** The upstream called `name`; every path carries both, so a missing one is a harness bug. */
export function upstream(ctx: Pick<PathContext, "upstreams">, name: UpstreamName): Upstream {
  const u = ctx.upstreams.find((x) => x.name === name);
  if (u === undefined) throw new Error(`bench: no upstream ${name}`);
  return u;
}

/** Node-A listener port per upstream, shared by the tunnel paths. */
export function clientPort(name: UpstreamName): number {
  return name === "http" ? BenchPorts.clientHttp : BenchPorts.clientIperf;
}

/** `targets` for a path whose node-A proxy listens on node A's address at {@link clientPort}. */
export function nodeATargets(ctx: Pick<PathContext, "topo">): Record<UpstreamName, Endpoint> {
  const ip = ctx.topo.nodeA.ip;
  return { http: { ip, port: clientPort("http") }, iperf: { ip, port: clientPort("iperf") } };
}

export function hostPort(e: Endpoint): string {
  return `${e.ip}:${e.port}`;
}
