import assert from "node:assert/strict";
import { test } from "node:test";
import * as pb from "@ambit/api/pb";
import { fromBinary } from "@bufbuild/protobuf";
import { buildSnapshot } from "../model/snapshot.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { ADDRESS_TYPE_URL, addressGenerator } from "./address-generator.js";
import { AUTHORIZATION_TYPE_URL } from "./authorization-generator.js";
import { GENERATORS, generateResources } from "./generators.js";
import { ipBytes } from "./ip-bytes.js";
import { WAYPOINT_TYPE_URL } from "./waypoint-generator.js";

const objs = (text: string) =>
  parseConfigDocuments(text, "t.yaml", "t").map((d) => d.object as NonNullable<typeof d.object>);
const pod = (name: string, ip: string, label = "a") => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ns, labels: {app: ${label}}}
spec: {nodeName: n1}
status: {phase: Running, podIP: ${ip}}
---
`;
const svc = `apiVersion: v1
kind: Service
metadata: {name: s, namespace: ns}
spec: {selector: {app: a}, clusterIP: 10.96.0.1, ports: [{port: 80}]}
`;

test("registration table holds exactly the three type URLs", () => {
  assert.deepEqual([...GENERATORS.keys()], [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WAYPOINT_TYPE_URL]);
  for (const [url, g] of GENERATORS) assert.equal(g.typeUrl, url);
});

test("versions are content hashes: stable across rebuilds, changed only for changed resources", () => {
  const base = addressGenerator.generate(
    buildSnapshot(objs(pod("p1", "10.0.0.1") + pod("p2", "10.0.0.2") + svc)),
  );
  const again = addressGenerator.generate(
    buildSnapshot(objs(pod("p2", "10.0.0.2") + pod("p1", "10.0.0.1") + svc)),
  );
  assert.deepEqual(
    [...again.values()].map((r) => [r.name, r.version]),
    [...base.values()].map((r) => [r.name, r.version]),
  );
  const changed = addressGenerator.generate(
    buildSnapshot(objs(pod("p1", "10.0.0.1") + pod("p2", "10.0.0.2", "b") + svc)),
  );
  const diff = [...changed.values()]
    .filter((r) => base.get(r.name)?.version !== r.version)
    .map((r) => r.name);
  assert.deepEqual(diff, ["Kubernetes//Pod/ns/p2"], "p2 left the service; nothing else changed");
  const r = base.get("ns/s.ns.svc.cluster.local");
  assert.equal(r?.resource.typeUrl, ADDRESS_TYPE_URL);
  assert.deepEqual(r?.aliases, ["/10.96.0.1"]);
});

test("mesh config: cluster id, domain suffix, network and trust domain flow into resources", () => {
  const s = buildSnapshot(objs(pod("p1", "fd00::1") + svc), {
    mesh: { clusterId: "c1", domainSuffix: "mesh.local", network: "net1", trustDomain: "td.example" },
  });
  const out = addressGenerator.generate(s);
  assert.deepEqual([...out.keys()], ["c1//Pod/ns/p1", "ns/s.ns.svc.mesh.local"]);
  const w = out.get("c1//Pod/ns/p1");
  assert.deepEqual(w?.aliases, ["net1/fd00::1"]);
  const addr = fromBinary(pb.workload.AddressSchema, w?.resource.value ?? new Uint8Array());
  assert.equal(addr.type.case, "workload");
  if (addr.type.case !== "workload") return;
  assert.equal(addr.type.value.trustDomain, "td.example");
  assert.equal(addr.type.value.network, "net1");
  assert.equal(addr.type.value.clusterId, "c1");
  assert.deepEqual(addr.type.value.addresses, [ipBytes("fd00::1")]);
  assert.deepEqual(Object.keys(addr.type.value.services), ["ns/s.ns.svc.mesh.local"]);
});

test("a duplicate pod IP is an alias of its owner only", () => {
  const out = addressGenerator.generate(buildSnapshot(objs(pod("p1", "10.0.0.1") + pod("p2", "10.0.0.1"))));
  assert.deepEqual(out.get("Kubernetes//Pod/ns/p1")?.aliases, ["/10.0.0.1"]);
  assert.deepEqual(out.get("Kubernetes//Pod/ns/p2")?.aliases, []);
});

test("ipBytes: 4 and 16 bytes, embedded IPv4, rejects non-IPs", () => {
  const hex = (ip: string) => Buffer.from(ipBytes(ip) ?? []).toString("hex");
  assert.equal(hex("10.1.2.3"), "0a010203");
  assert.equal(hex("::1"), "00000000000000000000000000000001");
  assert.equal(hex("2001:db8::1"), "20010db8000000000000000000000001");
  assert.equal(hex("::ffff:1.2.3.4"), "00000000000000000000ffff01020304");
  assert.equal(hex("1:2:3:4:5:6:7:8"), "00010002000300040005000600070008");
  assert.equal(ipBytes("example.com"), undefined);
  assert.equal(ipBytes("10.0.0.256"), undefined);
});

test("memoised resources are invalidated by every input: service, namespace, policies", () => {
  const podObjs = objs(pod("p1", "10.0.0.1"));
  const svcV1 = objs(svc);
  const svcV2 = objs(svc.replace("port: 80", "port: 81"));
  const nsOff = objs("apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n");
  const nsOn = objs(
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {istio.io/dataplane-mode: ambient}}\n",
  );
  const ap = objs(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: sel, namespace: ns}
spec: {selector: {matchLabels: {app: a}}}
`);
  const uid = "Kubernetes//Pod/ns/p1";
  const gen = (...parts: (typeof podObjs)[]) =>
    addressGenerator.generate(buildSnapshot(parts.flat())).get(uid);
  const base = gen(podObjs, svcV1, nsOff);
  assert.equal(gen(podObjs, svcV1, nsOff), base, "unchanged inputs reuse the resource");
  const decode = (r: typeof base) => {
    const a = fromBinary(pb.workload.AddressSchema, r?.resource.value ?? new Uint8Array());
    assert.equal(a.type.case, "workload");
    return a.type.value as pb.workload.Workload;
  };
  assert.equal(
    decode(gen(podObjs, svcV2, nsOff)).services["ns/s.ns.svc.cluster.local"]?.ports[0]?.servicePort,
    81,
  );
  assert.equal(decode(gen(podObjs, svcV1, nsOn)).tunnelProtocol, pb.workload.TunnelProtocol.HBONE);
  assert.deepEqual(decode(gen(podObjs, svcV1, nsOn, ap)).authorizationPolicies, ["ns/sel"]);
  assert.equal(decode(gen(podObjs, svcV1, nsOff)).tunnelProtocol, pb.workload.TunnelProtocol.NONE);
});

test("generateResources runs every generator: type URL → name → resource", () => {
  const all = generateResources(buildSnapshot(objs(pod("p1", "10.0.0.1") + svc)));
  assert.deepEqual([...all.keys()], [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WAYPOINT_TYPE_URL]);
  assert.equal(all.get(ADDRESS_TYPE_URL)?.size, 2);
  assert.equal(all.get(AUTHORIZATION_TYPE_URL)?.size, 0);
});
