import { createHash } from "node:crypto";
import { LocalError } from "../local-error.js";

/** Names and addresses of one node of the local cluster (all derived from the cluster id and index). */
export interface NodeLayout {
  /** Kubernetes-style node name: `node-1`, `node-2`, … */
  readonly name: string;
  /** 1-based. */
  readonly index: number;
  readonly netns: string;
  /** Address on the cluster bridge (10.250.0.10+index). */
  readonly ip: string;
  /** Pod CIDR of this node (10.244.<index>.0/24). */
  readonly podCidr: string;
  /** Pod default gateway, put on every node-side pod veth (10.244.<index>.1). */
  readonly gateway: string;
  /** The node's veth end inside the cluster netns (enslaved to the bridge). */
  readonly clusterLink: string;
}

/**
 * The whole cluster topology, decided from (id, node count) alone so that `up`, `down` and
 * `status` agree without extra state. Every netns name starts with `prefix`; every interface
 * lives inside one of those namespaces, so nothing is ever created in the host netns.
 */
export interface ClusterLayout {
  readonly id: string;
  /** `ambit-<id>-` — the only namespace/file prefix this cluster uses. */
  readonly prefix: string;
  /** Holds the bridge `br0` that joins nodes and the control plane. */
  readonly clusterNetns: string;
  readonly bridge: string;
  /** The control plane's netns on the bridge, so ztunnels reach it at a cluster IP. */
  readonly cpNetns: string;
  readonly cpIp: string;
  readonly cpClusterLink: string;
  readonly nodeCidr: string;
  readonly serviceCidr: string;
  /** Cluster DNS address written into pods' resolv.conf (ztunnel's DNS proxy captures :53). */
  readonly dnsIp: string;
  readonly nodes: readonly NodeLayout[];
}

export const MAX_NODES = 20;
const ID_RE = /^[a-z0-9]{1,8}$/;

/** Checks a cluster id (short: it goes into every netns name). */
export function validateClusterId(id: string): string {
  if (!ID_RE.test(id)) throw new LocalError("invalid_argument", `cluster id must match ${ID_RE}: ${id}`);
  return id;
}

export function clusterPrefix(id: string): string {
  return `ambit-${validateClusterId(id)}-`;
}

export function clusterLayout(id: string, nodeCount: number): ClusterLayout {
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) {
    throw new LocalError("invalid_argument", `--nodes must be 1..${MAX_NODES}, got ${nodeCount}`);
  }
  const prefix = clusterPrefix(id);
  const nodes: NodeLayout[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    nodes.push({
      name: `node-${i}`,
      index: i,
      netns: `${prefix}node-${i}`,
      ip: `10.250.0.${10 + i}`,
      podCidr: `10.244.${i}.0/24`,
      gateway: `10.244.${i}.1`,
      clusterLink: `n${i}`,
    });
  }
  return {
    id,
    prefix,
    clusterNetns: `${prefix}cluster`,
    bridge: "br0",
    cpNetns: `${prefix}cp`,
    cpIp: "10.250.0.2",
    cpClusterLink: "cp0",
    nodeCidr: "10.250.0.0/24",
    serviceCidr: "10.96.0.0/16",
    dnsIp: "10.96.0.10",
    nodes,
  };
}

/** Netns of a pod: `ambit-<id>-p-<namespace>-<pod>` (netns names are file names; no IFNAMSIZ limit). */
export function podNetnsName(layout: Pick<ClusterLayout, "prefix">, namespace: string, pod: string): string {
  return `${layout.prefix}p-${namespace}-${pod}`;
}

/** Node-side veth name of a pod: `v` + 8 hex of the pod uid (9 chars, under the 15-char limit). */
export function podHostVeth(uid: string): string {
  return "v" + createHash("sha256").update(uid).digest("hex").slice(0, 8);
}

export function findNode(layout: ClusterLayout, name: string): NodeLayout {
  const n = layout.nodes.find((x) => x.name === name);
  if (n === undefined) throw new LocalError("unknown_node", `no node ${name} in cluster ${layout.id}`);
  return n;
}
