import * as pb from "@ambit/api/pb";
import type { PodObject } from "../sources/config-object.js";

/**
 * How a pod maps to Istio's workload identity fields. Rule set (documented in
 * docs/architecture/control-plane.md):
 * 1. label `ambit.dev/deployment: <name>` (local mode has no ReplicaSets) → DEPLOYMENT `<name>`;
 * 2. controller ownerReference (else the first one):
 *    ReplicaSet `<d>-<hash>` (hash = 5–10 of [a-z0-9]) → DEPLOYMENT `<d>`; other ReplicaSet → POD `<rs>`;
 *    Deployment → DEPLOYMENT; Job `<c>-<8+ digits>` → CRONJOB `<c>`; other Job → JOB; CronJob → CRONJOB;
 *    any other kind (StatefulSet, DaemonSet, …) → POD named after the owner;
 * 3. no owner → POD named after the pod.
 */
export const DEPLOYMENT_LABEL = "ambit.dev/deployment";

export function workloadKind(pod: PodObject): { type: pb.workload.WorkloadType; name: string } {
  const T = pb.workload.WorkloadType;
  const label = pod.metadata.labels[DEPLOYMENT_LABEL];
  if (label) return { type: T.DEPLOYMENT, name: label };
  const owners = pod.metadata.ownerReferences;
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  if (!owner) return { type: T.POD, name: pod.metadata.name };
  switch (owner.kind) {
    case "ReplicaSet": {
      const m = /^(.+)-[a-z0-9]{5,10}$/.exec(owner.name);
      return m ? { type: T.DEPLOYMENT, name: m[1] as string } : { type: T.POD, name: owner.name };
    }
    case "Deployment":
      return { type: T.DEPLOYMENT, name: owner.name };
    case "Job": {
      const m = /^(.+)-[0-9]{8,}$/.exec(owner.name); // CronJob jobs: `<cronjob>-<minutes since epoch>`
      return m ? { type: T.CRONJOB, name: m[1] as string } : { type: T.JOB, name: owner.name };
    }
    case "CronJob":
      return { type: T.CRONJOB, name: owner.name };
    default:
      return { type: T.POD, name: owner.name };
  }
}

/** Istio's canonical service labels, with the usual Kubernetes fallbacks. */
export function canonicalNames(pod: PodObject, workloadName: string): { name: string; revision: string } {
  const l = pod.metadata.labels;
  return {
    name: l["service.istio.io/canonical-name"] ?? l["app.kubernetes.io/name"] ?? l["app"] ?? workloadName,
    revision:
      l["service.istio.io/canonical-revision"] ?? l["app.kubernetes.io/version"] ?? l["version"] ?? "latest",
  };
}

/** A pod's named container port, for Services with a named `targetPort`. */
export function findContainerPort(pod: PodObject, name: string): number | undefined {
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? [])
      if (p.name === name && (p.protocol ?? "TCP") === "TCP") return p.containerPort;
  }
  return undefined;
}
