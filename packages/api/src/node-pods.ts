/**
 * The per-node pod list the local runtime writes for its node agent (local mode's stand-in for
 * the Kubernetes pod informer). File: `<stateDir>/nodes/<node>/pods.json`, replaced atomically
 * (write temp + rename) on every change. The node agent decides enrolment from these labels.
 */
export interface NodePodRecord {
  /** Kubernetes-style pod UID (ZDS `AddWorkload.uid`). */
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Labels of the pod's namespace (enrolment may come from `istio.io/dataplane-mode` there). */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Path of the pod's network namespace, e.g. `/var/run/netns/<name>`. */
  readonly netnsPath: string;
  readonly ip: string;
  readonly phase: "Pending" | "Running" | "Succeeded" | "Failed";
}

export interface NodePodsFile {
  readonly node: string;
  /** Monotonic generation; the agent ignores files older than what it has applied. */
  readonly generation: number;
  readonly pods: readonly NodePodRecord[];
}

/** The enrolment label and its values (wire-spec §5.4). */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";

/**
 * A pod is enrolled when its own label says `ambient`, or its namespace's does and the pod does
 * not opt out with `none`.
 */
export function isPodEnrolled(pod: Pick<NodePodRecord, "labels" | "namespaceLabels">): boolean {
  const podMode = pod.labels[DATAPLANE_MODE_LABEL];
  if (podMode === "none") return false;
  if (podMode === "ambient") return true;
  return pod.namespaceLabels[DATAPLANE_MODE_LABEL] === "ambient";
}
