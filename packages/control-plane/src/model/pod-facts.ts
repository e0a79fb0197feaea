import { canonicalIp, isPodEnrolled } from "@ambit/api";
import type { NamespaceObject, PodObject } from "../sources/config-object.js";

/** Small derived facts about pods shared by the snapshot and the translators. */

/** `ns/name`: the key of namespaced objects in snapshot maps. */
export function nsName(o: { metadata: { namespace: string; name: string } }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

/** Succeeded and Failed pods are finished: no workload, no certificates, their IPs may be reused. */
export function isTerminal(pod: PodObject): boolean {
  const phase = pod.status.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/** Canonical pod IPs, `status.podIPs` first (dual stack), falling back to `status.podIP`. */
export function podIps(pod: PodObject): string[] {
  const raw = pod.status.podIPs?.map((p) => p.ip) ?? [];
  if (raw.length === 0 && pod.status.podIP) raw.push(pod.status.podIP);
  const out: string[] = [];
  for (const ip of raw) {
    const c = canonicalIp(ip);
    if (c !== undefined && !out.includes(c)) out.push(c);
  }
  return out;
}

/** Service account with Kubernetes' default. */
export function podServiceAccount(pod: PodObject): string {
  return pod.spec.serviceAccountName ?? "default";
}

/**
 * Running and, when the kubelet reported it, Ready. Local mode writes no conditions, so phase
 * Running alone counts as healthy there.
 */
export function isPodHealthy(pod: PodObject): boolean {
  if (pod.status.phase !== "Running") return false;
  const ready = pod.status.conditions?.find((c) => c.type === "Ready");
  return ready === undefined || ready.status === "True";
}

/** Ambient enrolment: pod label wins (`none` opts out), else the namespace label. */
export function isEnrolled(pod: PodObject, ns: NamespaceObject | undefined): boolean {
  return isPodEnrolled({ labels: pod.metadata.labels, namespaceLabels: ns?.metadata.labels ?? {} });
}
