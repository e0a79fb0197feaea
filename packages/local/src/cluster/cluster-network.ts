import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@ambit/core";
import { ipIn, run, runInNetns } from "../exec/run.js";
import { writeAtomic } from "../fs-atomic.js";
import type { ClusterLayout, NodeLayout } from "../plan/cluster-layout.js";
import type { PodRecord } from "../plan/pod-plan.js";

const log = createLogger("local.network");

/** Where `ip netns exec` finds per-namespace /etc overrides (bind-mounted over /etc/<file>). */
export const ETC_NETNS_DIR = "/etc/netns";

/** Names of existing network namespaces (`/var/run/netns`). */
export function listNetns(): string[] {
  try {
    return readdirSync("/var/run/netns");
  } catch {
    return [];
  }
}

async function addNetns(ns: string, sysctls: Record<string, string>): Promise<void> {
  await run("ip", ["netns", "add", ns]);
  await ipIn(ns, ["link", "set", "lo", "up"]);
  // One process for all sysctls (they are per-netns files under /proc/sys/net).
  const keys = Object.entries(sysctls).flatMap(([k, v]) => [`${k}=${v}`]);
  if (keys.length > 0) await runInNetns(ns, ["sysctl", "-q", "-w", ...keys]);
}

/** A veth pair created directly inside two namespaces (never in the host netns), both ends up. */
async function addVeth(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
  await run("ip", ["link", "add", nameA, "netns", nsA, "type", "veth", "peer", "name", nameB, "netns", nsB]);
  await ipIn(nsA, ["link", "set", nameA, "up"]);
  await ipIn(nsB, ["link", "set", nameB, "up"]);
}

/**
 * Transparent sockets (ztunnel's inbound connects to the app *from the client's IP*) and asymmetric
 * hops need reverse-path filtering off; forwarding makes the node a router for its pods.
 */
const NODE_SYSCTLS = {
  "net.ipv4.ip_forward": "1",
  "net.ipv4.conf.all.rp_filter": "0",
  "net.ipv4.conf.default.rp_filter": "0",
};
const POD_SYSCTLS = {
  "net.ipv4.conf.all.rp_filter": "0",
  "net.ipv4.conf.default.rp_filter": "0",
};

/**
 * Builds the cluster network: a cluster netns with bridge `br0`; the control-plane netns and one
 * netns per node, each attached to the bridge by a veth (`eth0` inside); node routes to every other
 * node's pod CIDR over the bridge. There is deliberately no default route anywhere: nothing in the
 * cluster can reach the host's real interfaces. Idempotent: returns early when the cluster netns
 * exists (a half-built cluster is torn down by `down`, not patched).
 */
export async function createClusterNetwork(layout: ClusterLayout): Promise<boolean> {
  const existing = new Set(listNetns());
  if (existing.has(layout.clusterNetns)) return false;
  log.info("creating cluster network", { prefix: layout.prefix, nodes: layout.nodes.length });
  await addNetns(layout.clusterNetns, {});
  await ipIn(layout.clusterNetns, ["link", "add", layout.bridge, "type", "bridge"]);
  await ipIn(layout.clusterNetns, ["link", "set", layout.bridge, "up"]);
  const attach = async (ns: string, link: string, ip: string): Promise<void> => {
    await addVeth(ns, "eth0", layout.clusterNetns, link);
    await ipIn(layout.clusterNetns, ["link", "set", link, "master", layout.bridge]);
    await ipIn(ns, ["addr", "add", `${ip}/24`, "dev", "eth0"]);
  };
  await addNetns(layout.cpNetns, POD_SYSCTLS);
  await attach(layout.cpNetns, layout.cpClusterLink, layout.cpIp);
  for (const n of layout.nodes) {
    await addNetns(n.netns, NODE_SYSCTLS);
    await attach(n.netns, n.clusterLink, n.ip);
  }
  for (const n of layout.nodes) {
    await ipIn(layout.cpNetns, ["route", "add", n.podCidr, "via", n.ip]);
    for (const m of layout.nodes) {
      if (m.name !== n.name) await ipIn(n.netns, ["route", "add", m.podCidr, "via", m.ip]);
    }
  }
  return true;
}

/**
 * Builds one pod's network: its netns, a veth (`eth0` in the pod, `pod.hostVeth` in the node),
 * the pod IP as a /32 with a default route via the node gateway, and the node's /32 route back.
 * Every packet of the pod therefore passes the node's netfilter (service DNAT, un-DNAT of replies).
 */
export async function createPodNetwork(node: NodeLayout, pod: PodRecord): Promise<void> {
  await addNetns(pod.netns, POD_SYSCTLS);
  await addVeth(pod.netns, "eth0", node.netns, pod.hostVeth);
  await ipIn(node.netns, ["addr", "add", `${node.gateway}/32`, "dev", pod.hostVeth]);
  await ipIn(node.netns, ["route", "add", `${pod.ip}/32`, "dev", pod.hostVeth]);
  await ipIn(pod.netns, ["addr", "add", `${pod.ip}/32`, "dev", "eth0"]);
  await ipIn(pod.netns, ["route", "add", node.gateway, "dev", "eth0", "scope", "link"]);
  await ipIn(pod.netns, ["route", "add", "default", "via", node.gateway, "dev", "eth0"]);
}

/** Deletes a netns (its veth goes with it, and the node-side end and route with that). Idempotent. */
export async function deleteNetns(ns: string): Promise<void> {
  if (!listNetns().includes(ns)) return;
  await run("ip", ["netns", "del", ns]);
}

/** Writes the pod's /etc overrides (hosts, resolv.conf) read by every `ip netns exec` in that netns. */
export function writePodEtc(netns: string, hosts: string, resolv: string): void {
  const dir = join(ETC_NETNS_DIR, netns);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, "hosts"), hosts);
  writeAtomic(join(dir, "resolv.conf"), resolv);
}

export function removePodEtc(netns: string): void {
  rmSync(join(ETC_NETNS_DIR, netns), { recursive: true, force: true });
}

/** Applies an nft script inside a netns atomically (one `nft -f <file>` transaction). */
export async function applyNft(ns: string, script: string): Promise<void> {
  // `nft -f -` fails from Node's stdio pipes (toolbox.md): go through a temp file.
  const file = join(
    tmpdir(),
    `ambit-nft-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.nft`,
  );
  writeFileSync(file, script);
  try {
    await runInNetns(ns, ["nft", "-f", file]);
  } finally {
    rmSync(file, { force: true });
  }
}
