import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthorizationPolicy, Service, Workload } from "@ambit/api";
import { makeIdentity } from "@ambit/api";
import { cidrContains, ipFromBytes, ipToBytes } from "./ip-bytes.js";
import { ProxyState } from "./proxy-state.js";

function wl(name: string, ip: string, extra: Partial<Workload> = {}): Workload {
  return {
    uid: `Kubernetes//Pod/default/${name}`,
    name,
    namespace: "default",
    addresses: [ip],
    hostname: "",
    network: "",
    tunnelProtocol: "hbone",
    identity: makeIdentity("default", name),
    waypoint: undefined,
    networkGateway: undefined,
    node: "node-1",
    canonicalName: name,
    canonicalRevision: "latest",
    workloadType: "pod",
    workloadName: name,
    nativeTunnel: false,
    services: new Map(),
    authorizationPolicies: [],
    status: "healthy",
    clusterId: "Kubernetes",
    locality: { region: "", zone: "", subzone: "" },
    capacity: 1,
    ...extra,
  };
}

function svc(hostname: string, vip: string): Service {
  return {
    name: hostname.split(".")[0] ?? hostname,
    namespace: "default",
    hostname,
    addresses: [{ network: "", ip: vip }],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: "http11" }],
    subjectAltNames: [],
    waypoint: undefined,
    loadBalancing: undefined,
  };
}

function pol(namespace: string, name: string, scope: AuthorizationPolicy["scope"]): AuthorizationPolicy {
  return { name, namespace, scope, action: "allow", rules: [], dryRun: false };
}

const HOST = "web.default.svc.cluster.local";
const SVC_KEY = `default/${HOST}`;

describe("ProxyState", () => {
  it("indexes workloads by uid and network/ip, services by VIP and hostname, endpoints by service", () => {
    const s = new ProxyState();
    const ports = [{ servicePort: 80, targetPort: 8080, appProtocol: "http11" as const }];
    const a = wl("a", "10.0.0.1", { services: new Map([[SVC_KEY, ports]]) });
    const b = wl("b", "10.0.0.2");
    s.applyAddress({ workloads: [a, b], services: [svc(HOST, "10.96.0.10")], removed: [] });
    assert.equal(s.findWorkloadByUid(a.uid), a);
    assert.equal(s.findWorkloadByAddress("", "10.0.0.2"), b);
    assert.equal(s.findWorkloadByAddress("other-net", "10.0.0.2"), undefined);
    assert.equal(s.findServiceByVip("", "10.96.0.10")?.hostname, HOST);
    assert.equal(s.findServiceByHostname("default", HOST)?.hostname, HOST);
    assert.deepEqual(s.findAddress("", "10.96.0.10")?.kind, "service");
    assert.deepEqual(s.findAddress("", "10.0.0.1")?.kind, "workload");
    assert.equal(s.findAddress("", "10.9.9.9"), undefined);
    assert.deepEqual(
      s.findEndpoints(SVC_KEY).map((e) => [e.workload.name, e.ports]),
      [["a", ports]],
    );
  });

  it("an updated workload drops its old address and endpoint entries", () => {
    const s = new ProxyState();
    const a = wl("a", "10.0.0.1", { services: new Map([[SVC_KEY, []]]) });
    s.applyAddress({ workloads: [a], services: [], removed: [] });
    s.applyAddress({ workloads: [wl("a", "10.0.0.5")], services: [], removed: [] });
    assert.equal(s.findWorkloadByAddress("", "10.0.0.1"), undefined);
    assert.equal(s.findWorkloadByAddress("", "10.0.0.5")?.name, "a");
    assert.deepEqual(s.findEndpoints(SVC_KEY), []);
  });

  it("host-network workloads are not indexed by IP", () => {
    const s = new ProxyState();
    s.applyAddress({
      workloads: [wl("h", "10.0.0.7", { networkMode: "host_network" })],
      services: [],
      removed: [],
    });
    assert.equal(s.findWorkloadByAddress("", "10.0.0.7"), undefined);
    assert.ok(s.findWorkloadByUid("Kubernetes//Pod/default/h"));
  });

  it("removal heuristic: uid first, else ns/hostname; unknown names are reported", () => {
    const s = new ProxyState();
    s.applyAddress({ workloads: [wl("a", "10.0.0.1")], services: [svc(HOST, "10.96.0.10")], removed: [] });
    const unmatched = s.applyAddress({
      workloads: [],
      services: [],
      removed: ["Kubernetes//Pod/default/a", SVC_KEY, "default/x/y", "nothing"],
    });
    assert.deepEqual(unmatched, ["default/x/y", "nothing"]);
    assert.equal(s.findWorkloadByAddress("", "10.0.0.1"), undefined);
    assert.equal(s.findServiceByVip("", "10.96.0.10"), undefined);
    assert.equal([...s.workloads()].length + [...s.services()].length, 0);
  });

  it("policy set for a workload = its namespace ∪ global ∪ listed; unknown listed names reported", () => {
    const s = new ProxyState();
    s.applyAuthorization({
      policies: [
        pol("default", "ns-wide", "namespace"),
        pol("other", "other-ns", "namespace"),
        pol("istio-system", "mesh-wide", "global"),
        pol("default", "selected", "workload_selector"),
        pol("default", "not-selected", "workload_selector"),
      ],
      removed: [],
    });
    const w = wl("a", "10.0.0.1", { authorizationPolicies: ["default/selected", "default/missing"] });
    const got = s.findPoliciesForWorkload(w);
    assert.deepEqual(got.policies.map((p) => `${p.namespace}/${p.name}`).sort(), [
      "default/ns-wide",
      "default/selected",
      "istio-system/mesh-wide",
    ]);
    assert.deepEqual(got.unknown, ["default/missing"]);
    assert.deepEqual(
      s.findPoliciesByScope("namespace", "other").map((p) => p.name),
      ["other-ns"],
    );
    s.applyAuthorization({ policies: [], removed: ["default/ns-wide", "istio-system/mesh-wide"] });
    assert.deepEqual(
      s.findPoliciesForWorkload(w).policies.map((p) => p.name),
      ["selected"],
    );
    assert.equal(s.findPolicy("default/ns-wide"), undefined);
  });

  it("notifies listeners once per applied push and serializes to sorted JSON", () => {
    const s = new ProxyState();
    const seen: string[] = [];
    const off = s.onChange((c) => seen.push(`${c.kind}:${c.generation}`));
    s.applyAddress({ workloads: [wl("b", "10.0.0.2"), wl("a", "10.0.0.1")], services: [], removed: [] });
    s.applyAuthorization({ policies: [pol("default", "p", "namespace")], removed: [] });
    off();
    s.applyAddress({ workloads: [], services: [], removed: [] });
    assert.deepEqual(seen, ["address:1", "authorization:2"]);
    const dump = JSON.parse(JSON.stringify(s));
    assert.deepEqual(
      dump.workloads.map((w: { name: string }) => w.name),
      ["a", "b"],
    );
    assert.equal(dump.workloads[0].identity, "spiffe://cluster.local/ns/default/sa/a");
    assert.deepEqual(dump.workloads[0].services, {});
    assert.equal(dump.policies[0].name, "p");
  });
});

describe("ip bytes", () => {
  const cases: [number[], string | undefined][] = [
    [[10, 0, 0, 1], "10.0.0.1"],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8::1"],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3], "10.1.2.3"],
    [new Array(16).fill(0), "::"],
    [[1, 2, 3, 4, 5], undefined],
    [[], undefined],
  ];
  for (const [bytes, text] of cases) {
    it(`${bytes.length} bytes → ${text}`, () => {
      assert.equal(ipFromBytes(Uint8Array.from(bytes)), text);
      if (text !== undefined && bytes.length === 16 && !text.includes(".")) {
        assert.deepEqual([...(ipToBytes(text) ?? [])], bytes);
      }
    });
  }
  it("CIDR containment for v4, v6 and mixed families", () => {
    assert.equal(cidrContains({ ip: "10.0.0.0", length: 8 }, "10.200.1.1"), true);
    assert.equal(cidrContains({ ip: "10.0.0.0", length: 9 }, "10.200.1.1"), false);
    assert.equal(cidrContains({ ip: "10.0.0.1", length: 32 }, "10.0.0.1"), true);
    assert.equal(cidrContains({ ip: "0.0.0.0", length: 0 }, "192.168.1.1"), true);
    assert.equal(cidrContains({ ip: "2001:db8::", length: 32 }, "2001:db8:ffff::1"), true);
    assert.equal(cidrContains({ ip: "2001:db8::", length: 33 }, "2001:db8:ffff::1"), false);
    assert.equal(cidrContains({ ip: "10.0.0.0", length: 8 }, "::ffff:10.0.0.1"), false);
    assert.equal(cidrContains({ ip: "10.0.0.0", length: 8 }, "not-an-ip"), false);
    assert.deepEqual([...(ipToBytes("::ffff:1.2.3.4") ?? [])].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  });
});
