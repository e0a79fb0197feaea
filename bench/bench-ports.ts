import { Ports } from "@ambit/api";

/**
 * Ports of the benchmark topology, in one place. The tunnel between the nodes uses the HBONE port
 * for every path (also nginx's TLS pair) so firewalls and captures look the same; client-side
 * listeners on node A use the outbound-capture port and the ones after it.
 */
export const BenchPorts = {
  /** 1 KiB HTTP/1.1 server in the server pod. */
  http: 8080,
  /** iperf3 server in the server pod (iperf3's default). */
  iperf: 5201,
  /** Node-B side of every tunnel. */
  tunnel: Ports.hbone,
  /** Node-A listener for upstream `http`; `iperf` uses the next port. */
  clientHttp: Ports.outbound,
  clientIperf: Ports.outbound + 1,
  /** Node-local helpers (socat → nghttpx, nghttpx → tinyproxy), bound to 127.0.0.1 only. */
  localConnect: 3128,
  localDialer: 8888,
} as const;
