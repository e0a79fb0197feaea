import { networkAddressKey } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { serviceVips } from "../model/index-services.js";
import { isTerminal, podIps } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator, XdsResource } from "../model/xds-generator.js";
import { toXdsResource } from "./resource.js";
import { serviceHostname, serviceToPb } from "./service.js";
import { podToWorkload } from "./workload.js";

export const ADDRESS_TYPE_URL = "type.googleapis.com/istio.workload.Address";

/**
 * One `Address` per pod with an IP (a Workload named by its uid) and per Service (named
 * `ns/hostname`); aliases are `network/ip` per address so on-demand clients can ask by IP.
 * Pure and deterministic: output order is sorted by name.
 */
export const addressGenerator = {
  typeUrl: ADDRESS_TYPE_URL,
  generate(s: ConfigSnapshot): ReadonlyMap<string, XdsResource> {
    const out: XdsResource[] = [];
    const net = s.mesh.network;
    for (const pod of s.pods.values()) {
      if (isTerminal(pod)) continue;
      const w = podToWorkload(s, pod);
      if (!w) continue;
      // Only the IPs this pod owns in the snapshot become aliases (a duplicate IP has one owner).
      const aliases = podIps(pod)
        .filter((ip) => s.podsByIp.get(ip) === pod)
        .map((ip) => networkAddressKey(net, ip));
      const address = create(pb.workload.AddressSchema, { type: { case: "workload", value: w } });
      out.push(toXdsResource(w.uid, aliases, pb.workload.AddressSchema, address));
    }
    for (const svc of s.services.values()) {
      const name = `${svc.metadata.namespace}/${serviceHostname(svc, s.mesh)}`;
      const aliases = serviceVips(svc)
        .filter((vip) => s.servicesByVip.get(vip) === svc)
        .map((vip) => networkAddressKey(net, vip));
      const address = create(pb.workload.AddressSchema, {
        type: { case: "service", value: serviceToPb(svc, s.mesh) },
      });
      out.push(toXdsResource(name, aliases, pb.workload.AddressSchema, address));
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new Map(out.map((r) => [r.name, r]));
  },
} satisfies XdsGenerator<ConfigSnapshot>;
