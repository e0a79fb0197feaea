import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pb from "@ambit/api/pb";
import type { DeltaResourceView } from "@ambit/core";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { demoWaypointConfig } from "../testdata/demo-waypoint.js";
import { convertWaypointResource, WaypointConfigUpdater } from "./waypoint-config-updater.js";
import { buildWaypointNode, WAYPOINT_TYPE_URL, waypointNodeId } from "./waypoint-node.js";

const NAME = "demo/waypoint";
type Init = MessageInitShape<typeof pb.waypoint.WaypointConfigSchema>;

const config = (extra: Partial<Init> = {}): Any => demoWaypointConfig(extra);
const view = (resource: Any | undefined, version = "v1", name = NAME): DeltaResourceView => ({
  name,
  version,
  aliases: [],
  ...(resource ? { resource } : {}),
});
const opts = { readFile: (p: string) => `{"keys":[]} ${p}`, now: () => 0 };
const badRegex: Partial<Init> = {
  listeners: [
    {
      hostname: "reviews.demo.svc.cluster.local",
      addresses: ["10.96.0.10"],
      routes: [{ name: "r", matches: [{ path: { kind: 2, value: "(" } }] }],
    },
  ],
};

describe("waypoint xDS identity", () => {
  it("type URL, node id and node metadata", () => {
    assert.equal(WAYPOINT_TYPE_URL, "type.googleapis.com/ambit.waypoint.WaypointConfig");
    const info = {
      ip: "10.244.1.7",
      podName: "waypoint-waypoint",
      podNamespace: "demo",
      nodeName: "node-1",
      gateway: "waypoint",
      clusterId: "Kubernetes",
    };
    assert.equal(waypointNodeId(info), "waypoint~10.244.1.7~waypoint-waypoint.demo~demo.svc.cluster.local");
    const node = buildWaypointNode(info);
    assert.equal(node.id, waypointNodeId(info));
    assert.deepEqual(
      [node.metadata?.["NODE_NAME"], node.metadata?.["NAMESPACE"], node.metadata?.["CLUSTER_ID"]],
      ["node-1", "demo", "Kubernetes"],
    );
    assert.equal(
      waypointNodeId({ podName: "p", podNamespace: "n" }),
      "waypoint~1.1.1.1~p.n~n.svc.cluster.local",
    );
  });
});

describe("convertWaypointResource", () => {
  it("accepts a good config: domain state indexed by VIP and hostname, wire JSON for the dump", () => {
    const c = convertWaypointResource(NAME, view(config(), "v7"), opts);
    assert.ok(c.ok);
    assert.equal(c.config.version, "v7");
    assert.ok(c.config.state.listenerByKey.has("10.96.0.10"));
    assert.ok(c.config.state.listenerByKey.has("reviews.demo.svc.cluster.local"));
    assert.deepEqual((c.config.wire as { listeners: { name: string }[] }).listeners[0]?.name, "reviews");
  });

  const cases: [string, DeltaResourceView, RegExp][] = [
    ["another resource name", view(config(), "v1", "demo/other"), /unexpected resource/],
    ["no payload", view(undefined), /no payload/],
    [
      "foreign payload type",
      view(anyPack(pb.workload.AddressSchema, create(pb.workload.AddressSchema, {}))),
      /payload type type.googleapis.com\/istio.workload.Address/,
    ],
    [
      "undecodable bytes",
      view({ ...config(), value: Uint8Array.from([0x0a, 0xff, 0xff, 0xff]) } as Any),
      /could not be decoded/,
    ],
    ["config for another gateway", view(config({ name: "other" })), /config is for demo\/other/],
    ["invalid regex", view(config(badRegex)), /invalid regex/],
    [
      "unreadable JWKS file",
      view(config({ jwtRules: [{ name: "j", issuer: "i", jwksFile: "/nope/jwks.json" }] })),
      /cannot read JWKS file \/nope\/jwks.json/,
    ],
  ];
  for (const [what, v, re] of cases) {
    it(`rejects: ${what}`, () => {
      const c = convertWaypointResource(NAME, v, {
        ...opts,
        readFile: () => {
          throw new Error("ENOENT");
        },
      });
      assert.equal(c.ok, false);
      if (!c.ok) assert.match(c.reason, re);
    });
  }
});

describe("WaypointConfigUpdater", () => {
  it("applies good pushes, keeps the old config on a bad one, clears on removal", () => {
    const changes: (string | undefined)[] = [];
    const u = new WaypointConfigUpdater({
      resourceName: NAME,
      now: () => 0,
      onChange: (c) => changes.push(c?.version),
    });
    assert.equal(u.current(), undefined);
    assert.deepEqual(
      u.apply({ typeUrl: WAYPOINT_TYPE_URL, resources: [view(config(), "v1")], removed: [] }),
      [],
    );
    assert.equal(u.current()?.version, "v1");
    const rej = u.apply({
      typeUrl: WAYPOINT_TYPE_URL,
      resources: [view(config(badRegex), "v2")],
      removed: [],
    });
    assert.equal(rej.length, 1);
    assert.equal(rej[0]?.name, NAME);
    assert.match(rej[0]?.reason ?? "", /invalid regex/);
    assert.equal(u.current()?.version, "v1", "old config stays in force");
    const dump = u.dump() as { version: string; lastRejection: { version: string; reason: string } };
    assert.equal(dump.version, "v1");
    assert.equal(dump.lastRejection.version, "v2");
    // An empty response (the Gateway does not exist yet) changes nothing.
    assert.deepEqual(u.apply({ typeUrl: WAYPOINT_TYPE_URL, resources: [], removed: [] }), []);
    assert.equal(u.current()?.version, "v1");
    u.apply({ typeUrl: WAYPOINT_TYPE_URL, resources: [], removed: [NAME] });
    assert.equal(u.current(), undefined);
    assert.ok("removedAt" in u.dump());
    assert.deepEqual(changes, ["v1", undefined]);
  });
});
