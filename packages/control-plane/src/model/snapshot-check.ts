import type { ConfigIssue } from "../status/config-issue.js";
import { serviceVips } from "./index-services.js";
import { isTerminal, nsName, podIps } from "./pod-facts.js";
import type { ConfigSnapshot } from "./snapshot.js";

/**
 * Consistency check run before a snapshot is published (go-control-plane's `Consistent()`):
 * every index entry must point at an object that the primary maps hold, and no index may
 * reference finished pods. A failure means a bug in the builder, not bad config; the builder
 * then keeps the previous snapshot and reports `inconsistent_snapshot`.
 */
export function checkSnapshot(s: ConfigSnapshot): ConfigIssue[] {
  const problems: string[] = [];
  for (const [ip, pod] of s.podsByIp) {
    if (s.pods.get(nsName(pod)) !== pod) problems.push(`podsByIp ${ip} → unknown pod ${nsName(pod)}`);
    if (isTerminal(pod)) problems.push(`podsByIp ${ip} → finished pod ${nsName(pod)}`);
    if (!podIps(pod).includes(ip)) problems.push(`podsByIp ${ip} → pod ${nsName(pod)} without that IP`);
  }
  for (const [vip, svc] of s.servicesByVip) {
    if (s.services.get(nsName(svc)) !== svc) problems.push(`servicesByVip ${vip} → unknown service`);
    if (!serviceVips(svc).includes(vip)) problems.push(`servicesByVip ${vip} → service without that VIP`);
  }
  for (const pod of s.pods.values()) {
    for (const svc of s.servicesForPod(pod)) {
      if (svc.metadata.namespace !== pod.metadata.namespace) {
        problems.push(`service ${nsName(svc)} selects pod ${nsName(pod)} across namespaces`);
      }
    }
  }
  return problems.map((p) => ({
    severity: "error",
    code: "inconsistent_snapshot",
    message: `inconsistent snapshot: ${p}`,
    origin: "snapshot",
  }));
}
