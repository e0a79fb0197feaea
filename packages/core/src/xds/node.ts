import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";

/** What a ztunnel knows about itself when it opens an xDS stream (wire-spec §3.4). */
export interface ZtunnelNodeInfo {
  /** Instance IP; Istio falls back to `1.1.1.1` when unknown. */
  readonly ip?: string;
  readonly podName: string;
  readonly podNamespace: string;
  /** Kubernetes node name; the control plane and CA use it to scope what this ztunnel may ask. */
  readonly nodeName: string;
  /** Cluster id (`ISTIO_META_CLUSTER_ID`); defaults to `Kubernetes`. */
  readonly clusterId?: string;
  /** Extra `proxyMetadata` / `ISTIO_META_*` entries (string values). */
  readonly metadata?: Readonly<Record<string, string>>;
}

const FALLBACK_IP = "1.1.1.1";

/**
 * Node id exactly as ztunnel builds it:
 * `ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. istiod parses the first field as node type.
 */
export function ztunnelNodeId(info: Pick<ZtunnelNodeInfo, "ip" | "podName" | "podNamespace">): string {
  const ip = info.ip ?? FALLBACK_IP;
  return `ztunnel~${ip}~${info.podName}.${info.podNamespace}~${info.podNamespace}.svc.cluster.local`;
}

/** The `Node` message a ztunnel sends on every initial request (`cluster`, `build_version` unset). */
export function buildZtunnelNode(info: ZtunnelNodeInfo): pb.envoyCore.Node {
  const metadata: Record<string, string> = {
    ...info.metadata,
    NAME: info.podName,
    NAMESPACE: info.podNamespace,
    INSTANCE_IPS: info.ip ?? FALLBACK_IP,
    NODE_NAME: info.nodeName,
    CLUSTER_ID: info.clusterId ?? info.metadata?.["CLUSTER_ID"] ?? "Kubernetes",
  };
  return create(pb.envoyCore.NodeSchema, { id: ztunnelNodeId(info), metadata });
}

/** A parsed proxy node id (`type~ip~id~domain`), as the server records it for status. */
export interface ProxyNodeId {
  readonly type: string;
  readonly ip: string;
  /** `<pod>.<ns>` part. */
  readonly id: string;
  readonly domain: string;
}

/** Parse `type~ip~id~domain`; undefined for anything else (the server then keeps the raw id). */
export function parseProxyNodeId(nodeId: string): ProxyNodeId | undefined {
  const parts = nodeId.split("~");
  if (parts.length !== 4 || parts.some((p) => p.length === 0)) return undefined;
  const [type, ip, id, domain] = parts as [string, string, string, string];
  return { type, ip, id, domain };
}

/** String-valued metadata of a node (non-string values are JSON-encoded). */
export function nodeMetadata(node: pb.envoyCore.Node | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node?.metadata ?? {})) {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
