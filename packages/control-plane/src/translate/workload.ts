import { DEFAULT_TRUST_DOMAIN } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { selectorMatches } from "../model/labels.js";
import { isEnrolled, isPodHealthy, isTerminal, podIps, podServiceAccount } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { AuthorizationPolicyObject, PodObject } from "../sources/config-object.js";
import { hasTargetRefs, isDryRun } from "./authorization.js";
import { ipBytes } from "./ip-bytes.js";
import { peerAuthenticationKeys } from "./peer-authentication.js";
import { serviceHostname, tcpPorts } from "./service.js";
import { gatewayAddress, resolvePodWaypoint } from "./waypoint-address.js";
import { canonicalNames, findContainerPort, workloadKind } from "./workload-meta.js";

/** `<cluster>//Pod/<ns>/<name>`: Istio's workload uid for pods (wire-spec §3.5). */
export function podUid(clusterId: string, pod: PodObject): string {
  return `${clusterId}//Pod/${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** Whether istiod would send this policy to ztunnel at all (targetRefs, AUDIT/CUSTOM, dry-run). */
function sentToZtunnel(ap: AuthorizationPolicyObject, enableDryRun: boolean): boolean {
  if (hasTargetRefs(ap)) return false;
  if (ap.spec.action !== "ALLOW" && ap.spec.action !== "DENY") return false;
  return enableDryRun || !isDryRun(ap);
}

/**
 * `ns/name` of the WORKLOAD_SELECTOR policies that select this pod — selector APs in its own
 * namespace or in the root namespace, sorted — followed by its PeerAuthentication policy keys.
 */
export function policiesForPod(s: ConfigSnapshot, pod: PodObject): string[] {
  const ns = pod.metadata.namespace;
  if (s.authorizationPolicies.size === 0) return peerAuthenticationKeys(s, pod);
  const candidates = [...s.authorizationPoliciesIn(ns)];
  if (ns !== s.mesh.rootNamespace) candidates.push(...s.authorizationPoliciesIn(s.mesh.rootNamespace));
  const keys = candidates
    .filter((ap) => ap.spec.selector !== undefined && sentToZtunnel(ap, s.mesh.enableDryRun))
    .filter((ap) => selectorMatches(ap.spec.selector?.matchLabels ?? {}, pod.metadata.labels))
    .map((ap) => `${ap.metadata.namespace}/${ap.metadata.name}`)
    .sort();
  return [...keys, ...peerAuthenticationKeys(s, pod)];
}

/** `ns/hostname` → ports of this pod for each Service selecting it (named targetPorts resolved). */
function servicesOf(s: ConfigSnapshot, pod: PodObject): Record<string, pb.workload.PortList> {
  const out: Record<string, pb.workload.PortList> = {};
  for (const svc of s.servicesForPod(pod)) {
    const ports: pb.workload.Port[] = [];
    for (const p of tcpPorts(svc)) {
      let target = p.targetPort ?? p.port;
      if (typeof target === "string") {
        const resolved = findContainerPort(pod, target);
        if (resolved === undefined) continue; // this pod does not expose that named port
        target = resolved;
      }
      ports.push(create(pb.workload.PortSchema, { servicePort: p.port, targetPort: target }));
    }
    out[`${svc.metadata.namespace}/${serviceHostname(svc, s.mesh)}`] = create(pb.workload.PortListSchema, {
      ports,
    });
  }
  return out;
}

/** Pod → `istio.workload.Workload`, or undefined for finished pods and pods without an IP yet. */
export function podToWorkload(s: ConfigSnapshot, pod: PodObject): pb.workload.Workload | undefined {
  if (isTerminal(pod)) return undefined;
  const ips = podIps(pod);
  if (ips.length === 0) return undefined;
  const mesh = s.mesh;
  const hostNetwork = pod.spec.hostNetwork === true;
  const enrolled = !hostNetwork && isEnrolled(pod, s.namespaces.get(pod.metadata.namespace));
  const kind = workloadKind(pod);
  const canonical = canonicalNames(pod, kind.name);
  return create(pb.workload.WorkloadSchema, {
    uid: podUid(mesh.clusterId, pod),
    name: pod.metadata.name,
    namespace: pod.metadata.namespace,
    addresses: ips.map((ip) => ipBytes(ip) as Uint8Array),
    network: mesh.network,
    tunnelProtocol: enrolled ? pb.workload.TunnelProtocol.HBONE : pb.workload.TunnelProtocol.NONE,
    // istiod leaves the default trust domain empty (ztunnel reads empty as cluster.local).
    trustDomain: mesh.trustDomain === DEFAULT_TRUST_DOMAIN ? "" : mesh.trustDomain,
    serviceAccount: podServiceAccount(pod),
    node: pod.spec.nodeName ?? "",
    canonicalName: canonical.name,
    canonicalRevision: canonical.revision,
    workloadType: kind.type,
    workloadName: kind.name,
    services: servicesOf(s, pod),
    authorizationPolicies: policiesForPod(s, pod),
    status: isPodHealthy(pod) ? pb.workload.WorkloadStatus.HEALTHY : pb.workload.WorkloadStatus.UNHEALTHY,
    clusterId: mesh.clusterId,
    networkMode: hostNetwork ? pb.workload.NetworkMode.HOST_NETWORK : pb.workload.NetworkMode.STANDARD,
    ...optionalWaypoint(gatewayAddress(s, resolvePodWaypoint(s, pod))),
  });
}

function optionalWaypoint(w: pb.workload.GatewayAddress | undefined): {
  waypoint?: pb.workload.GatewayAddress;
} {
  return w ? { waypoint: w } : {};
}
