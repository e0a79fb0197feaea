import { createHash } from "node:crypto";
import { LocalError } from "../local-error.js";
import {
  type AppliedObject,
  type ContainerSpec,
  isDeploymentObject,
  isPodObject,
  objectKey,
} from "../manifest/manifest-types.js";
import type { ClusterLayout } from "./cluster-layout.js";
import { allocateIp, parseCidr } from "./ipv4.js";

/** A pod the manifests ask for (before it has a node, an IP or a uid). */
export interface DesiredPod {
  /** `<namespace>/<name>`. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly nodeName?: string;
  readonly containers: readonly ContainerSpec[];
  /** Hash of everything that requires re-creating the pod when it changes. */
  readonly specHash: string;
  readonly sourceDir: string;
  /** `Deployment/<ns>/<name>`, `Pod/<ns>/<name>` or (a waypoint's pod) `Gateway/<ns>/<name>`. */
  readonly owner: string;
  /**
   * Set on a waypoint's pod: the Gateway's name. Its containers only declare ports; the runtime
   * runs the waypoint main in it instead (see plan/waypoint-plan.ts).
   */
  readonly waypoint?: string;
}

/** A pod that exists (persisted in runtime.json): desired fields plus what the runtime decided. */
export interface PodRecord extends DesiredPod {
  readonly uid: string;
  readonly node: string;
  readonly ip: string;
  readonly netns: string;
  readonly hostVeth: string;
}

/** What a reconcile must do with pods. */
export interface PodPlan {
  /** Pods to build, each with its node and IP decided. */
  readonly create: readonly Omit<PodRecord, "netns" | "hostVeth">[];
  /** Pods to tear down (no longer desired, or their spec changed). */
  readonly remove: readonly PodRecord[];
  readonly keep: readonly PodRecord[];
}

function hashOf(v: unknown, len: number): string {
  return createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, len);
}

/**
 * Expands Deployments (replicas × template) and bare Pods into desired pods. Deployment pod names
 * are `<deployment>-<template hash 5>-<ordinal>`, so a changed template yields new names (old pods
 * go, new pods come: a recreate rollout) and an unchanged one is stable across re-applies.
 */
export function desiredPods(objects: readonly AppliedObject[]): DesiredPod[] {
  const out: DesiredPod[] = [];
  for (const a of objects) {
    const o = a.obj;
    if (isDeploymentObject(o)) {
      const t = o.template;
      const specHash = hashOf([t, a.sourceDir], 10);
      for (let i = 0; i < o.replicas; i++) {
        const name = `${o.meta.name}-${specHash.slice(0, 5)}-${i}`;
        out.push({
          key: `${o.meta.namespace}/${name}`,
          name,
          namespace: o.meta.namespace,
          labels: t.labels,
          annotations: t.annotations,
          serviceAccount: t.spec.serviceAccountName,
          containers: t.spec.containers,
          specHash,
          sourceDir: a.sourceDir,
          owner: a.key,
          ...(t.spec.nodeName !== undefined ? { nodeName: t.spec.nodeName } : {}),
        });
      }
    } else if (isPodObject(o)) {
      out.push({
        key: `${o.meta.namespace}/${o.meta.name}`,
        name: o.meta.name,
        namespace: o.meta.namespace,
        labels: o.meta.labels,
        annotations: o.meta.annotations,
        serviceAccount: o.spec.serviceAccountName,
        containers: o.spec.containers,
        specHash: hashOf([o.spec, a.sourceDir], 10),
        sourceDir: a.sourceDir,
        owner: objectKey("Pod", o.meta.namespace, o.meta.name),
        ...(o.spec.nodeName !== undefined ? { nodeName: o.spec.nodeName } : {}),
      });
    }
  }
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.key)) throw new LocalError("invalid_manifest", `two objects produce pod ${p.key}`);
    seen.add(p.key);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Decides pod changes: keeps pods whose spec is unchanged (taking their current labels and
 * annotations), removes the rest, and places new pods
 * on the least-loaded node (ties → lowest index; `spec.nodeName` pins), with the lowest free IP
 * of that node's pod CIDR (.1 is the gateway). Pure: uids come from `newUid`.
 */
export function planPods(
  desired: readonly DesiredPod[],
  current: readonly PodRecord[],
  layout: ClusterLayout,
  newUid: () => string,
): PodPlan {
  const want = new Map(desired.map((d) => [d.key, d]));
  const keep: PodRecord[] = [];
  const remove: PodRecord[] = [];
  for (const c of current) {
    const d = want.get(c.key);
    if (d !== undefined && d.specHash === c.specHash && layout.nodes.some((n) => n.name === c.node)) {
      // Labels and annotations of a bare Pod change in place (as in Kubernetes): enrolment can be
      // toggled with istio.io/dataplane-mode without recreating the pod.
      keep.push({ ...c, labels: d.labels, annotations: d.annotations });
    } else remove.push(c);
  }
  const kept = new Set(keep.map((k) => k.key));
  const load = new Map(layout.nodes.map((n) => [n.name, 0]));
  const used = new Set(current.map((c) => c.ip));
  for (const k of keep) load.set(k.node, (load.get(k.node) ?? 0) + 1);
  const create: Omit<PodRecord, "netns" | "hostVeth">[] = [];
  for (const d of desired) {
    if (kept.has(d.key)) continue;
    let node = layout.nodes[0];
    if (d.nodeName !== undefined) {
      node = layout.nodes.find((n) => n.name === d.nodeName);
      if (node === undefined) {
        throw new LocalError(
          "unknown_node",
          `pod ${d.key}: spec.nodeName ${d.nodeName} is not a node of this cluster`,
        );
      }
    } else {
      for (const n of layout.nodes) if ((load.get(n.name) ?? 0) < (load.get(node?.name ?? "") ?? 0)) node = n;
    }
    if (node === undefined) throw new LocalError("no_cluster", "cluster has no nodes");
    const ip = allocateIp(parseCidr(node.podCidr), used, 2);
    used.add(ip);
    load.set(node.name, (load.get(node.name) ?? 0) + 1);
    create.push({ ...d, uid: newUid(), node: node.name, ip });
  }
  return { create, remove, keep };
}
