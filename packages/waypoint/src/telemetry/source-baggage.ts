import { parseBaggage } from "@ambit/core";

/** The client workload as the source ztunnel describes it, for the `source_*` metric labels. */
export interface SourceWorkload {
  /** `k8s.<type>.name`: a Deployment's name, else the pod's. */
  readonly workload: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
  readonly cluster: string;
}

const WORKLOAD_KEY = /^k8s\.(deployment|cronjob|pod|job)\.name$/;

/**
 * The source workload from the `baggage` header of a tunnel's CONNECT (wire-spec: the source
 * ztunnel writes `k8s.cluster.name`, `k8s.namespace.name`, `k8s.<type>.name`, `service.name`,
 * `service.version`). Telemetry only, never policy: the verified peer identity stays the source
 * of truth, so baggage naming another namespace than the peer certificate's is ignored whole
 * (an app cannot write CONNECT headers, but a misbehaving client proxy could).
 */
export function sourceFromBaggage(
  value: string | string[] | undefined,
  peerNamespace: string,
): SourceWorkload | undefined {
  const b = parseBaggage(Array.isArray(value) ? value.join(",") : value);
  if (b.size === 0 || b.get("k8s.namespace.name") !== peerNamespace) return undefined;
  let workload = "";
  for (const [k, v] of b) if (WORKLOAD_KEY.test(k)) workload = v;
  return {
    workload,
    canonicalName: b.get("service.name") ?? "",
    canonicalRevision: b.get("service.version") ?? "",
    cluster: b.get("k8s.cluster.name") ?? "",
  };
}
