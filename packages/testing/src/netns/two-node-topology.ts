import type { NetnsHarness } from "./netns-harness.js";

/** A namespace in the topology with its main address (the one peers dial). */
export interface TopologyHost {
  /** Full namespace name (`ip netns exec <ns>`). */
  readonly ns: string;
  /** /var/run/netns/<ns>, for `@ambit/sockets` `netns` options. */
  readonly path: string;
  readonly ip: string;
}

/** Result of `createTwoNodeTopology`. Addresses are fixed: every run has its own private namespaces. */
export interface TwoNodeTopology {
  /** Holds the bridge `br0` that joins the nodes (stands in for the cluster network). */
  readonly cluster: { readonly ns: string; readonly bridge: string };
  /** Node namespaces on 10.10.0.0/24; each forwards for its pod subnet. */
  readonly nodeA: TopologyHost;
  readonly nodeB: TopologyHost;
  /** podA (10.20.1.2) behind nodeA's `pA` (10.20.1.1); podB (10.20.2.2) behind nodeB's `pB` (10.20.2.1). */
  readonly podA: TopologyHost & { readonly gateway: string; readonly dev: "eth0"; readonly nodeDev: string };
  readonly podB: TopologyHost & { readonly gateway: string; readonly dev: "eth0"; readonly nodeDev: string };
}

/**
 * Builds cluster bridge + two nodes + one pod per node, fully routed pod↔pod across the bridge.
 * Nothing connects to the host namespace, so no test packet can reach a real interface.
 *
 *   podA eth0 ─ pA nodeA eth0 ─ br0 (cluster) ─ eth0 nodeB pB ─ eth0 podB
 */
export async function createTwoNodeTopology(h: NetnsHarness): Promise<TwoNodeTopology> {
  const cluster = await h.addNamespace("c");
  const nodeA = await h.addNamespace("nodeA");
  const nodeB = await h.addNamespace("nodeB");
  const podA = await h.addNamespace("podA");
  const podB = await h.addNamespace("podB");
  await h.addBridge(cluster, "br0");
  const nodes = [
    { ns: nodeA, ip: "10.10.0.11", port: "ba", podNs: podA, subnet: "10.20.1", dev: "pA" },
    { ns: nodeB, ip: "10.10.0.12", port: "bb", podNs: podB, subnet: "10.20.2", dev: "pB" },
  ] as const;
  for (const n of nodes) {
    await h.addVeth({ ns: n.ns, name: "eth0" }, { ns: cluster, name: n.port });
    await h.setMaster(cluster, n.port, "br0");
    await h.addAddress(n.ns, "eth0", `${n.ip}/24`);
    await h.addVeth({ ns: n.podNs, name: "eth0" }, { ns: n.ns, name: n.dev });
    await h.addAddress(n.ns, n.dev, `${n.subnet}.1/24`);
    await h.addAddress(n.podNs, "eth0", `${n.subnet}.2/24`);
    await h.addRoute(n.podNs, "default", { via: `${n.subnet}.1` });
    await h.sysctl(n.ns, "net.ipv4.ip_forward", "1");
  }
  await h.addRoute(nodeA, "10.20.2.0/24", { via: "10.10.0.12" });
  await h.addRoute(nodeB, "10.20.1.0/24", { via: "10.10.0.11" });
  return {
    cluster: { ns: cluster, bridge: "br0" },
    nodeA: { ns: nodeA, path: h.path(nodeA), ip: "10.10.0.11" },
    nodeB: { ns: nodeB, path: h.path(nodeB), ip: "10.10.0.12" },
    podA: { ns: podA, path: h.path(podA), ip: "10.20.1.2", gateway: "10.20.1.1", dev: "eth0", nodeDev: "pA" },
    podB: { ns: podB, path: h.path(podB), ip: "10.20.2.2", gateway: "10.20.2.1", dev: "eth0", nodeDev: "pB" },
  };
}
