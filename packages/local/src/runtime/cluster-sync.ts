import { applyNft } from "../cluster/cluster-network.js";
import { readJson, writeAtomic } from "../fs-atomic.js";
import type { AppliedObject } from "../manifest/manifest-types.js";
import type { ClusterLayout } from "../plan/cluster-layout.js";
import type { PodRecord } from "../plan/pod-plan.js";
import { type ServiceRecord, serviceEndpoints } from "../plan/service-plan.js";
import { renderServiceRules } from "../render/kube-proxy-rules.js";
import { namespaceLabels, renderConfigDir, renderNodePods, syncConfigDir } from "./publish.js";
import type { StatePaths } from "./state-dir.js";

/**
 * Makes every node's service NAT match the services and pods. The same script goes to every node
 * (endpoints are cluster-wide); `applied` remembers the last script per node so an unchanged
 * ruleset is not re-applied.
 */
export async function syncServiceRules(
  layout: ClusterLayout,
  services: readonly ServiceRecord[],
  pods: readonly PodRecord[],
  applied: Map<string, string>,
): Promise<void> {
  const script = renderServiceRules(
    services.map((s) => ({ service: s, endpoints: serviceEndpoints(s, pods) })),
  );
  for (const n of layout.nodes) {
    if (applied.get(n.name) === script) continue;
    await applyNft(n.netns, script);
    applied.set(n.name, script);
  }
}

/**
 * Publishes the cluster to the mesh: the control plane's config dir, and each node's pods.json
 * (written only when that node's pod list changed, with a generation above both the last one
 * this runtime wrote and the one on disk, so the node agent never sees it go backwards).
 * `generations` is updated in place; `pending` pods are published with phase Pending.
 */
export function publishForMesh(
  paths: StatePaths,
  layout: ClusterLayout,
  objects: readonly AppliedObject[],
  pods: readonly PodRecord[],
  services: readonly ServiceRecord[],
  generations: Record<string, number>,
  pending: ReadonlySet<string> = new Set(),
): void {
  syncConfigDir(paths.configDir, renderConfigDir(objects, pods, services, layout, pending));
  const ns = namespaceLabels(objects, pods);
  for (const n of layout.nodes) {
    const file = paths.nodePodsFile(n.name);
    const prev = readJson<{ pods?: unknown; generation?: number }>(file);
    const gen = Math.max(generations[n.name] ?? 0, prev?.generation ?? 0);
    const next = renderNodePods(n.name, gen + 1, pods, ns);
    if (prev !== undefined && JSON.stringify(prev.pods) === JSON.stringify(next.pods)) continue;
    generations[n.name] = gen + 1;
    writeAtomic(file, JSON.stringify(next, null, 2));
  }
}
