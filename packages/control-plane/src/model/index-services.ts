import { canonicalIp } from "@ambit/api";
import type { PodObject, ServiceObject } from "../sources/config-object.js";
import type { ConfigIssue } from "../status/config-issue.js";
import { hasEntries, selectorMatches } from "./labels.js";
import { nsName } from "./pod-facts.js";

/** Canonical cluster IPs of a Service (`clusterIPs` first); empty for headless (`None`) services. */
export function serviceVips(svc: ServiceObject): string[] {
  const raw =
    svc.spec.clusterIPs && svc.spec.clusterIPs.length > 0 ? svc.spec.clusterIPs : [svc.spec.clusterIP];
  const out: string[] = [];
  for (const ip of raw) {
    const c = ip ? canonicalIp(ip) : undefined;
    if (c !== undefined && !out.includes(c)) out.push(c);
  }
  return out;
}

/** VIP → Service; on a clash the first by `ns/name` keeps the VIP and the other gets a warning. */
export function indexVips(
  services: Iterable<ServiceObject>,
  issues: ConfigIssue[],
): Map<string, ServiceObject> {
  const byVip = new Map<string, ServiceObject>();
  for (const svc of services) {
    for (const vip of serviceVips(svc)) {
      const prev = byVip.get(vip);
      if (!prev) {
        byVip.set(vip, svc);
        continue;
      }
      issues.push({
        severity: "warning",
        code: "duplicate_vip",
        message: `duplicate service IP: ${vip} is also used by ${nsName(prev)}, which keeps it`,
        origin: "snapshot",
        kind: "Service",
        namespace: svc.metadata.namespace,
        name: svc.metadata.name,
        ...(svc.origin ? { location: svc.origin } : {}),
      });
    }
  }
  return byVip;
}

/**
 * Pod `ns/name` → Services selecting it. Services are bucketed by namespace and by one
 * `key=value` of their selector, so each pod only checks the services that share at least that
 * label with it: 10k pods × 1k services stays well under the time a full cross product takes.
 */
export function indexServicesForPods(
  services: Iterable<ServiceObject>,
  pods: readonly PodObject[],
): Map<string, readonly ServiceObject[]> {
  const buckets = new Map<string, ServiceObject[]>();
  for (const svc of services) {
    const sel = svc.spec.selector;
    if (!sel || !hasEntries(sel)) continue; // no selector: endpoints managed elsewhere
    const first = Object.keys(sel).sort()[0] as string;
    const b = `${svc.metadata.namespace}\u0000${first}=${sel[first]}`;
    const list = buckets.get(b);
    if (list) list.push(svc);
    else buckets.set(b, [svc]);
  }
  const out = new Map<string, readonly ServiceObject[]>();
  for (const pod of pods) {
    const found: ServiceObject[] = [];
    const labels = pod.metadata.labels;
    for (const k in labels) {
      const cands = buckets.get(`${pod.metadata.namespace}\u0000${k}=${labels[k]}`);
      if (!cands) continue;
      for (const svc of cands) if (selectorMatches(svc.spec.selector ?? {}, labels)) found.push(svc);
    }
    if (found.length === 0) continue;
    found.sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
    );
    out.set(nsName(pod), Object.freeze(found));
  }
  return out;
}
