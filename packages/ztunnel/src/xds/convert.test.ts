import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIdentity } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { addressFromPb, serviceFromPb, workloadFromPb } from "./convert-address.js";
import { policyFromPb } from "./convert-authorization.js";

type WInit = MessageInitShape<typeof pb.workload.WorkloadSchema>;
type SInit = MessageInitShape<typeof pb.workload.ServiceSchema>;
type AInit = MessageInitShape<typeof pb.security.AuthorizationSchema>;
const v4 = (...b: number[]) => Uint8Array.from(b);
const W = (i: WInit = {}) =>
  create(pb.workload.WorkloadSchema, {
    uid: "K//Pod/ns/a",
    name: "a",
    namespace: "ns",
    addresses: [v4(10, 0, 0, 1)],
    ...i,
  });
const S = (i: SInit = {}) =>
  create(pb.workload.ServiceSchema, {
    name: "web",
    namespace: "ns",
    hostname: "web.ns.svc.cluster.local",
    addresses: [{ address: v4(10, 96, 0, 1) }],
    ...i,
  });
const A = (i: AInit = {}) => create(pb.security.AuthorizationSchema, { name: "p", namespace: "ns", ...i });

describe("workloadFromPb", () => {
  it("applies Istio's defaults (service account, trust domain, cluster id, capacity)", () => {
    const r = workloadFromPb(
      W({
        tunnelProtocol: pb.workload.TunnelProtocol.HBONE,
        services: { "ns/web": { ports: [{ servicePort: 80, targetPort: 8080 }] } },
      }),
    );
    assert.ok(r.ok);
    assert.equal(formatIdentity(r.value.identity), "spiffe://cluster.local/ns/ns/sa/default");
    assert.equal(r.value.clusterId, "Kubernetes");
    assert.equal(r.value.capacity, 1);
    assert.equal(r.value.tunnelProtocol, "hbone");
    assert.deepEqual(r.value.services.get("ns/web"), [
      { servicePort: 80, targetPort: 8080, appProtocol: "unknown" },
    ]);
  });
  it("accepts 16-byte addresses as canonical IPv6", () => {
    const r = workloadFromPb(W({ addresses: [Uint8Array.from([0xfd, 0, ...new Array(13).fill(0), 5])] }));
    assert.ok(r.ok);
    assert.deepEqual(r.value.addresses, ["fd00::5"]);
  });
  const bad: [string, WInit, RegExp][] = [
    ["5-byte address", { addresses: [v4(1, 2, 3, 4, 5)] }, /address must be 4 or 16 bytes, got 5/],
    ["3-byte address", { addresses: [v4(1, 2, 3)] }, /got 3/],
    [
      "LEGACY_ISTIO_MTLS",
      { tunnelProtocol: pb.workload.TunnelProtocol.LEGACY_ISTIO_MTLS },
      /LEGACY_ISTIO_MTLS is not supported/,
    ],
    [
      "unknown tunnel protocol",
      { tunnelProtocol: 9 as pb.workload.TunnelProtocol },
      /tunnel_protocol: unknown value 9/,
    ],
    ["empty uid", { uid: "" }, /empty uid/],
    ["invalid namespace for identity", { namespace: "Bad_NS" }, /workload identity: invalid namespace/],
    ["services key without /", { services: { web: { ports: [] } } }, /is not ns\/hostname/],
    [
      "port out of range",
      { services: { "ns/web": { ports: [{ servicePort: 70000 }] } } },
      /port 70000 out of range/,
    ],
    ["waypoint without destination", { waypoint: { hboneMtlsPort: 15008 } }, /waypoint: no destination/],
    [
      "waypoint with a bad address",
      { waypoint: { destination: { case: "address", value: { address: v4(1) } } } },
      /waypoint: address must be 4 or 16 bytes/,
    ],
  ];
  for (const [name, init, re] of bad) {
    it(`rejects: ${name}`, () => {
      const r = workloadFromPb(W(init));
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, re);
    });
  }
});

describe("serviceFromPb / addressFromPb", () => {
  it("converts a service and checks the resource name is ns/hostname", () => {
    const addr = create(pb.workload.AddressSchema, { type: { case: "service", value: S() } });
    const ok = addressFromPb("ns/web.ns.svc.cluster.local", addr);
    assert.ok(ok.ok && ok.value.kind === "service");
    const wrong = addressFromPb("ns/other", addr);
    assert.equal(wrong.ok, false);
  });
  it("rejects a service without hostname, with a bad VIP, or with an unknown LB mode", () => {
    for (const init of [
      { hostname: "" },
      { addresses: [{ address: v4(1, 2) }] },
      { loadBalancing: { mode: 42 as pb.workload.LoadBalancing_Mode } },
    ]) {
      assert.equal(serviceFromPb(S(init)).ok, false, JSON.stringify(init));
    }
  });
  it("rejects an empty Address", () => {
    const r = addressFromPb("x", create(pb.workload.AddressSchema, {}));
    assert.equal(r.ok, false);
  });
});

describe("policyFromPb", () => {
  it("converts scopes, actions, rules and matches", () => {
    const r = policyFromPb(
      "ns/p",
      A({
        scope: pb.security.Scope.WORKLOAD_SELECTOR,
        action: pb.security.Action.DENY,
        dryRun: true,
        rules: [
          {
            clauses: [
              {
                matches: [
                  {
                    principals: [{ matchType: { case: "prefix", value: "cluster.local/" } }],
                    notPrincipals: [{ matchType: { case: "presence", value: {} } }],
                    sourceIps: [{ address: v4(10, 0, 0, 0), length: 8 }],
                    destinationPorts: [8080],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    assert.ok(r.ok);
    assert.equal(r.value.scope, "workload_selector");
    assert.equal(r.value.action, "deny");
    assert.equal(r.value.dryRun, true);
    const m = r.value.rules[0]?.clauses[0]?.matches[0];
    assert.deepEqual(m?.principals, [{ kind: "prefix", value: "cluster.local/" }]);
    assert.deepEqual(m?.notPrincipals, [{ kind: "presence" }]);
    assert.deepEqual(m?.sourceIps, [{ ip: "10.0.0.0", length: 8 }]);
    assert.deepEqual(m?.destinationPorts, [8080]);
  });
  const bad: [string, string, AInit, RegExp][] = [
    ["name mismatch", "ns/q", {}, /does not match policy key ns\/p/],
    ["empty name", "ns/", { name: "" }, /empty name/],
    ["unknown scope", "ns/p", { scope: 7 as pb.security.Scope }, /scope: unknown value 7/],
    ["unknown action", "ns/p", { action: 3 as pb.security.Action }, /action: unknown value 3/],
    [
      "string match without type",
      "ns/p",
      { rules: [{ clauses: [{ matches: [{ namespaces: [{}] }] }] }] },
      /without a match type/,
    ],
    [
      "5-byte CIDR",
      "ns/p",
      { rules: [{ clauses: [{ matches: [{ sourceIps: [{ address: v4(1, 2, 3, 4, 5), length: 8 }] }] }] }] },
      /source_ips: address must be 4 or 16 bytes/,
    ],
    [
      "prefix too long",
      "ns/p",
      {
        rules: [{ clauses: [{ matches: [{ destinationIps: [{ address: v4(1, 2, 3, 4), length: 33 }] }] }] }],
      },
      /prefix length 33 exceeds 32/,
    ],
    [
      "port out of range",
      "ns/p",
      { rules: [{ clauses: [{ matches: [{ destinationPorts: [65536] }] }] }] },
      /port 65536/,
    ],
  ];
  for (const [name, key, init, re] of bad) {
    it(`rejects: ${name}`, () => {
      const r = policyFromPb(key, A(init));
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, re);
    });
  }
});
