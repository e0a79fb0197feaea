// Synthetic snapshot for the xDS benchmark: pods spread over 100 namespaces, each a member of one
// service, plus one namespace-wide ALLOW policy per namespace. Shaped like the translator's output.
import * as pb from "@ambit/api/pb";
import { type PackedResource, packResource } from "@ambit/core";

const NAMESPACES = 100;
const ns = (i: number) => `ns-${i % NAMESPACES}`;
const host = (j: number) => `svc-${j}.${ns(j)}.svc.cluster.local`;

/** Pod `i` (member of service `i % nServices`); `rev` changes its content, hence its version. */
export function podResource(i: number, nServices: number, rev = "1"): PackedResource {
  const svc = i % nServices;
  const ip = [10, 1 + (i >> 16), (i >> 8) & 255, i & 255];
  const uid = `Kubernetes//Pod/${ns(svc)}/pod-${i}`;
  const workload = {
    uid,
    name: `pod-${i}`,
    namespace: ns(svc),
    addresses: [Uint8Array.from(ip)],
    tunnelProtocol: pb.workload.TunnelProtocol.HBONE,
    serviceAccount: `sa-${svc}`,
    node: `node-${i % 10}`,
    canonicalName: `app-${svc}`,
    canonicalRevision: rev,
    workloadName: `app-${svc}`,
    workloadType: pb.workload.WorkloadType.POD,
    clusterId: "Kubernetes",
    services: { [`${ns(svc)}/${host(svc)}`]: { ports: [{ servicePort: 80, targetPort: 8080 }] } },
  };
  return packResource(pb.workload.AddressSchema, { type: { case: "workload", value: workload } }, uid, [
    `/${ip.join(".")}`,
  ]);
}

function serviceResource(j: number): PackedResource {
  const vip = [10, 96, j >> 8, j & 255];
  const service = {
    name: `svc-${j}`,
    namespace: ns(j),
    hostname: host(j),
    addresses: [{ network: "", address: Uint8Array.from(vip) }],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: pb.workload.AppProtocol.HTTP11 }],
  };
  return packResource(
    pb.workload.AddressSchema,
    { type: { case: "service", value: service } },
    `${ns(j)}/${host(j)}`,
    [`/${vip.join(".")}`],
  );
}

function policyResource(n: number): PackedResource {
  return packResource(
    pb.security.AuthorizationSchema,
    {
      name: "allow-same-ns",
      namespace: ns(n),
      scope: pb.security.Scope.NAMESPACE,
      action: pb.security.Action.ALLOW,
      rules: [{ clauses: [{ matches: [{ namespaces: [{ matchType: { case: "exact", value: ns(n) } }] }] }] }],
    },
    `${ns(n)}/allow-same-ns`,
  );
}

export function buildResources(nWorkloads: number, nServices: number) {
  const address = new Map<string, PackedResource>();
  const podNames: string[] = [];
  for (let i = 0; i < nWorkloads; i++) {
    const r = podResource(i, nServices);
    address.set(r.name, r);
    podNames.push(r.name);
  }
  for (let j = 0; j < nServices; j++) {
    const r = serviceResource(j);
    address.set(r.name, r);
  }
  const authorization = new Map<string, PackedResource>();
  for (let n = 0; n < NAMESPACES; n++) {
    const r = policyResource(n);
    authorization.set(r.name, r);
  }
  return { address, authorization, podNames };
}
