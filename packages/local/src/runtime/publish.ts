import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isPodEnrolled, type NodePodRecord, type NodePodsFile } from "@ambit/api";
import { stringify } from "yaml";
import { writeAtomic } from "../fs-atomic.js";
import {
  type AppliedObject,
  isDeploymentObject,
  isNamespaceObject,
  isPodObject,
  PASSTHROUGH_KINDS,
} from "../manifest/manifest-types.js";
import type { ClusterLayout } from "../plan/cluster-layout.js";
import type { PodRecord } from "../plan/pod-plan.js";
import type { ServiceRecord } from "../plan/service-plan.js";

/** Labels of every namespace in use (declared ones carry their labels; implicit ones have none). */
export function namespaceLabels(
  objects: readonly AppliedObject[],
  pods: readonly PodRecord[],
): Map<string, Record<string, string>> {
  const m = new Map<string, Record<string, string>>();
  for (const a of objects) if (isNamespaceObject(a.obj)) m.set(a.obj.meta.name, { ...a.obj.meta.labels });
  for (const a of objects)
    if (a.obj.meta.namespace !== "" && !m.has(a.obj.meta.namespace)) m.set(a.obj.meta.namespace, {});
  for (const p of pods) if (!m.has(p.namespace)) m.set(p.namespace, {});
  return m;
}

/** File name of an object in the control plane's config dir (`<kind>--<ns or _>--<name>.yaml`). */
export function configFileName(kind: string, ns: string, name: string): string {
  return `${kind.toLowerCase()}--${ns === "" ? "_" : ns}--${name}.yaml`;
}

/** Kinds handed to the control plane (ServiceAccounts are accepted but mean nothing to it). */
const PUBLISHED: ReadonlySet<string> = new Set(
  [...PASSTHROUGH_KINDS, "Service"].filter((k) => k !== "ServiceAccount"),
);

/**
 * The Pod object the control plane's file source reads (Kubernetes shape, with status filled in).
 * `phase` is Running except for a pod whose process cannot run at all (a waypoint whose main is
 * not available: Pending, so the control plane does not call that waypoint Programmed).
 */
export function podConfigObject(
  p: PodRecord,
  layout: ClusterLayout,
  phase: "Running" | "Pending" = "Running",
): Record<string, unknown> {
  const node = layout.nodes.find((n) => n.name === p.node);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      labels: p.labels,
      annotations: p.annotations,
    },
    spec: {
      serviceAccountName: p.serviceAccount,
      nodeName: p.node,
      containers: p.containers.map((c) => ({ name: c.name, ports: c.ports })),
    },
    status: { phase, podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: node?.ip ?? "" },
  };
}

/**
 * Everything the control plane should see, as file name → YAML: Namespaces (declared or implicit),
 * Services with their VIP in `spec.clusterIP`, Pods with uid/nodeName/podIP, and mesh config
 * (AuthorizationPolicy, PeerAuthentication, Gateway, HTTPRoute, …) unchanged. Deployments are not
 * passed on: their pods are. `pending` holds keys of pods published as Pending. Pure.
 */
export function renderConfigDir(
  objects: readonly AppliedObject[],
  pods: readonly PodRecord[],
  services: readonly ServiceRecord[],
  layout: ClusterLayout,
  pending: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const out = new Map<string, string>();
  const vips = new Map(services.map((s) => [s.key, s.vip]));
  for (const [ns, labels] of namespaceLabels(objects, pods)) {
    const declared = objects.find((a) => isNamespaceObject(a.obj) && a.obj.meta.name === ns);
    const obj = declared?.raw ?? { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels } };
    out.set(configFileName("Namespace", "", ns), stringify(obj));
  }
  for (const a of objects) {
    const o = a.obj;
    if (isNamespaceObject(o) || isPodObject(o) || isDeploymentObject(o) || !PUBLISHED.has(o.kind)) continue;
    let raw: Record<string, unknown> = a.raw;
    if (o.kind === "Service") {
      const vip = vips.get(`${o.meta.namespace}/${o.meta.name}`) ?? "";
      const spec: Record<string, unknown> = {
        ...(raw["spec"] as Record<string, unknown>),
        clusterIP: vip === "" ? "None" : vip,
      };
      if (vip !== "") spec["clusterIPs"] = [vip];
      raw = { ...raw, metadata: { ...(raw["metadata"] as object), namespace: o.meta.namespace }, spec };
    } else {
      raw = { ...raw, metadata: { ...(raw["metadata"] as object), namespace: o.meta.namespace } };
    }
    out.set(configFileName(o.kind, o.meta.namespace, o.meta.name), stringify(raw));
  }
  for (const p of pods)
    out.set(
      configFileName("Pod", p.namespace, p.name),
      stringify(podConfigObject(p, layout, pending.has(p.key) ? "Pending" : "Running")),
    );
  return out;
}

/**
 * Makes `dir` hold exactly `files`: changed files are replaced atomically, stale `*.yaml` removed.
 * Returns whether anything changed (a watcher-friendly no-op otherwise).
 */
export function syncConfigDir(dir: string, files: ReadonlyMap<string, string>): boolean {
  let changed = false;
  let existing: string[] = [];
  try {
    existing = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  } catch {
    // created by the first write
  }
  for (const [name, text] of files) {
    let old: string | undefined;
    try {
      old = readFileSync(join(dir, name), "utf8");
    } catch {
      old = undefined;
    }
    if (old !== text) {
      writeAtomic(join(dir, name), text);
      changed = true;
    }
  }
  for (const f of existing) {
    if (!files.has(f)) {
      rmSync(join(dir, f), { force: true });
      changed = true;
    }
  }
  return changed;
}

/** The per-node pod list for the node agent (contract: @ambit/api `NodePodsFile`). Pure. */
export function renderNodePods(
  node: string,
  generation: number,
  pods: readonly PodRecord[],
  nsLabels: ReadonlyMap<string, Record<string, string>>,
): NodePodsFile {
  const list: NodePodRecord[] = pods
    .filter((p) => p.node === node)
    .map((p) => ({
      uid: p.uid,
      name: p.name,
      namespace: p.namespace,
      serviceAccount: p.serviceAccount,
      labels: p.labels,
      annotations: p.annotations,
      namespaceLabels: nsLabels.get(p.namespace) ?? {},
      netnsPath: `/var/run/netns/${p.netns}`,
      ip: p.ip,
      phase: "Running",
    }));
  return { node, generation, pods: list };
}

/** Mesh enrolment a pod asks for by label (the node agent decides; this is what `status` shows until it reports). */
export function podWantsMesh(p: PodRecord, nsLabels: ReadonlyMap<string, Record<string, string>>): boolean {
  return isPodEnrolled({ labels: p.labels, namespaceLabels: nsLabels.get(p.namespace) ?? {} });
}
