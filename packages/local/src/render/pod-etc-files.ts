import type { ServiceRecord } from "../plan/service-plan.js";

/** Cluster DNS domain (Kubernetes' default). */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * `/etc/netns/<pod netns>/hosts`: `ip netns exec` bind-mounts it over /etc/hosts for every process
 * started in the pod, so Service names resolve without a DNS server (until ztunnel's DNS proxy
 * answers). Short names only for Services of the pod's own namespace, as Kubernetes search
 * domains would give; `<svc>.<ns>` and the FQDN for all.
 */
export function renderPodHosts(
  pod: { readonly name: string; readonly namespace: string; readonly ip: string },
  services: readonly ServiceRecord[],
): string {
  const lines = [
    "# written by ambit local mode; regenerated on every change",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${pod.ip}\t${pod.name}`,
  ];
  for (const s of services) {
    if (s.vip === "") continue;
    const names = [
      `${s.name}.${s.namespace}`,
      `${s.name}.${s.namespace}.svc`,
      `${s.name}.${s.namespace}.svc.${CLUSTER_DOMAIN}`,
    ];
    if (s.namespace === pod.namespace) names.unshift(s.name);
    lines.push(`${s.vip}\t${names.join(" ")}`);
  }
  return lines.join("\n") + "\n";
}

/** `/etc/netns/<pod netns>/resolv.conf`: Kubernetes-style search path; the nameserver is the cluster DNS IP. */
export function renderPodResolvConf(namespace: string, dnsIp: string): string {
  return (
    "# written by ambit local mode\n" +
    `nameserver ${dnsIp}\n` +
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}\n` +
    "options ndots:5 timeout:1 attempts:1\n"
  );
}
