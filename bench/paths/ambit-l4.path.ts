import { BenchPorts } from "../bench-ports.js";
import type { BenchPath } from "./bench-path.js";
import { MESH_NODES, meshPod, startMesh, stopMesh } from "./mesh-setup.js";
import { upstream } from "./upstreams.js";

/**
 * ambit's L4 data path, exactly as in local mode: the real control plane (xDS + CA), one ztunnel
 * and one node agent per node. The node agents enrol the client and server pods (in-pod redirect
 * rules + ZDS hand-off), so the client pod dials the server's real address and its ztunnel
 * captures it: client pod → ztunnel A (15001 in podA) → HBONE mTLS → ztunnel B (15008 in podB) →
 * server app from the client's IP. Access logs are off (`--log-level warn`) like the peers' logs.
 */
export const benchPath: BenchPath = {
  name: "ambit-l4",
  kind: "ambit",
  description:
    "ambit ztunnel on both nodes: in-pod capture (15001) → HBONE mTLS (pooled HTTP/2 CONNECT) → inbound 15008 → server pod; control plane + node agents not charged",
  // Two fresh Node ztunnels: JIT warm-up before the first rate (`--quick` caps it at 1 s).
  warmupSeconds: 2,
  needs: [{ bin: "nft", pkg: "nftables" }],
  async setup(ctx) {
    const { topo } = ctx;
    const pods = [
      meshPod("client", MESH_NODES.a, topo.podA),
      meshPod("server", MESH_NODES.b, topo.podB, { ports: [BenchPorts.http, BenchPorts.iperf] }),
    ];
    const mesh = await startMesh(ctx, pods, []);
    // Transparent capture: the client pod dials the server pod's real address.
    return {
      targets: { http: upstream(ctx, "http"), iperf: upstream(ctx, "iperf") },
      procs: [...mesh.ztunnels],
    };
  },
  async teardown(ctx) {
    // Un-enrol so later paths see clean pods (a failure is reported loudly, not thrown).
    await stopMesh(ctx, "ambit-l4");
  },
};
