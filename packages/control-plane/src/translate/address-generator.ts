import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { serviceVips } from "../model/index-services.js";
import { isTerminal, podIps } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator, XdsResource } from "../model/xds-generator.js";
import { toXdsResource } from "./resource.js";
import { serviceHostname, serviceToPb } from "./service.js";
import {
  gatewayAddress,
  resolutionKey,
  resolvePodWaypoint,
  resolveServiceWaypoint,
} from "./waypoint-address.js";
import { podToWorkload, policiesForPod } from "./workload.js";

export const ADDRESS_TYPE_URL = "type.googleapis.com/istio.workload.Address";

/**
 * One `Address` per pod with an IP (a Workload named by its uid) and per Service (named
 * `ns/hostname`); aliases are `network/ip` per address so on-demand clients can ask by IP.
 * Pure and deterministic: output order is sorted by name.
 */
/**
 * Memo of resources per source object, valid while every input of the resource is the same:
 * the object itself (sources keep identity for unchanged objects), the mesh settings, and the
 * derived inputs listed in `deps` (namespace and selecting services by identity, policy keys and
 * owned IPs by value). A one-pod change then re-encodes one resource instead of ten thousand.
 * WeakMaps: entries die with the objects; the output stays a pure function of the snapshot.
 */
interface Memo {
  readonly deps: readonly unknown[];
  readonly resource: XdsResource;
}
const podMemo = new WeakMap<object, Memo>();
const serviceMemo = new WeakMap<object, Memo>();

function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function memoized(
  memo: WeakMap<object, Memo>,
  obj: object,
  deps: unknown[],
  build: () => XdsResource | undefined,
) {
  const hit = memo.get(obj);
  if (hit && sameDeps(hit.deps, deps)) return hit.resource;
  const resource = build();
  if (resource) memo.set(obj, { deps, resource });
  return resource;
}

export const addressGenerator = {
  typeUrl: ADDRESS_TYPE_URL,
  generate(s: ConfigSnapshot): ReadonlyMap<string, XdsResource> {
    const out: XdsResource[] = [];
    const net = s.mesh.network;
    const meshKey = JSON.stringify(s.mesh);
    for (const pod of s.pods.values()) {
      if (isTerminal(pod)) continue;
      // Only the IPs this pod owns in the snapshot become aliases (a duplicate IP has one owner).
      const aliases = podIps(pod)
        .filter((ip) => s.podsByIp.get(ip) === pod)
        .map((ip) => `${net}/${ip}`); // podIps are canonical already
      const deps = [
        meshKey,
        s.namespaces.get(pod.metadata.namespace),
        aliases.join(","),
        policiesForPod(s, pod).join(","),
        resolutionKey(resolvePodWaypoint(s, pod)),
        ...s.servicesForPod(pod),
      ];
      const r = memoized(podMemo, pod, deps, () => {
        const w = podToWorkload(s, pod);
        if (!w) return undefined;
        const address = create(pb.workload.AddressSchema, { type: { case: "workload", value: w } });
        return toXdsResource(w.uid, aliases, pb.workload.AddressSchema, address);
      });
      if (r) out.push(r);
    }
    for (const svc of s.services.values()) {
      const aliases = serviceVips(svc)
        .filter((vip) => s.servicesByVip.get(vip) === svc)
        .map((vip) => `${net}/${vip}`);
      const waypoint = resolveServiceWaypoint(s, svc);
      const deps = [meshKey, aliases.join(","), resolutionKey(waypoint)];
      const r = memoized(serviceMemo, svc, deps, () => {
        const name = `${svc.metadata.namespace}/${serviceHostname(svc, s.mesh)}`;
        const value = serviceToPb(svc, s.mesh, gatewayAddress(s, waypoint));
        const address = create(pb.workload.AddressSchema, { type: { case: "service", value } });
        return toXdsResource(name, aliases, pb.workload.AddressSchema, address);
      });
      if (r) out.push(r);
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new Map(out.map((r) => [r.name, r]));
  },
} satisfies XdsGenerator<ConfigSnapshot>;
