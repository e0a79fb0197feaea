/**
 * Who the waypoint says it is on its xDS stream. Istio's waypoint (an Envoy in `router` mode)
 * reports `<type>~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`; the control plane records the parsed id
 * for status, and the metadata carries the same keys a ztunnel sends (NODE_NAME scopes what the
 * node token may ask for).
 */
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";

/** The resource type the waypoint subscribes to (one resource per waypoint Gateway). */
export const WAYPOINT_TYPE_URL = `type.googleapis.com/${pb.waypoint.WaypointConfigSchema.typeName}`;

/** Istio's fallback when the instance IP is unknown. */
const FALLBACK_IP = "1.1.1.1";

/** The name of the one `WaypointConfig` a waypoint subscribes to: `<namespace>/<gateway name>`. */
export function waypointResourceName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export interface WaypointNodeInfo {
  /** Pod IP (`INSTANCE_IPS`); Istio's fallback `1.1.1.1` when unknown. */
  readonly ip?: string | undefined;
  readonly podName: string;
  readonly podNamespace: string;
  /** Node the pod runs on; its bootstrap token authenticates the stream. */
  readonly nodeName: string;
  /** The Gateway's name = the waypoint's service account. */
  readonly gateway: string;
  readonly clusterId: string;
}

/** `waypoint~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local`. */
export function waypointNodeId(info: Pick<WaypointNodeInfo, "ip" | "podName" | "podNamespace">): string {
  const ip = info.ip ?? FALLBACK_IP;
  return `waypoint~${ip}~${info.podName}.${info.podNamespace}~${info.podNamespace}.svc.cluster.local`;
}

/** The `Node` sent on every initial request. */
export function buildWaypointNode(info: WaypointNodeInfo): pb.envoyCore.Node {
  const metadata: Record<string, string> = {
    NAME: info.podName,
    NAMESPACE: info.podNamespace,
    INSTANCE_IPS: info.ip ?? FALLBACK_IP,
    NODE_NAME: info.nodeName,
    CLUSTER_ID: info.clusterId,
    SERVICE_ACCOUNT: info.gateway,
    WAYPOINT_NAME: info.gateway,
  };
  return create(pb.envoyCore.NodeSchema, { id: waypointNodeId(info), metadata });
}
