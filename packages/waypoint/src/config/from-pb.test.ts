import assert from "node:assert/strict";
import { test } from "node:test";
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { fromWaypointConfig } from "./from-pb.js";

const cfg = (routes: Parameters<typeof create<typeof pb.waypoint.RouteSchema>>[1][]) =>
  create(pb.waypoint.WaypointConfigSchema, {
    namespace: "ns",
    name: "wp",
    listeners: [
      {
        hostname: "Svc.NS.svc.cluster.local",
        name: "svc",
        namespace: "ns",
        addresses: ["10.96.0.1", "FD00::1"],
        routes: routes.map((r) => create(pb.waypoint.RouteSchema, r)),
      },
    ],
    backends: [{ hostname: "b", endpoints: [{ address: "10.0.0.1", ports: { 80: 8080 } }] }],
    jwtRules: [{ name: "j", issuer: "i" }],
  });

test("defaults: match-all route, prefix '/', retry codes, lower-case names, indexes by VIP and host", () => {
  const s = fromWaypointConfig(
    cfg([{ name: "r", retry: { attempts: 2 }, matches: [{ method: "get", headers: [{ name: "X-A" }] }] }]),
  );
  const l = s.listenerByKey.get("svc.ns.svc.cluster.local");
  assert.ok(l);
  assert.equal(s.listenerByKey.get("10.96.0.1"), l);
  assert.equal(s.listenerByKey.get("fd00::1"), l, "addresses are canonicalised (lower-case)");
  const r = l.routes[0];
  assert.equal(r?.matches[0]?.path.kind, "prefix");
  assert.equal(r?.matches[0]?.method, "GET");
  assert.equal(r?.matches[0]?.headers[0]?.name, "x-a");
  assert.deepEqual([...(r?.retry?.codes ?? [])], [502, 503, 504]);
  assert.equal(s.backends.get("b")?.endpoints[0]?.ports.get(80), 8080);
  assert.deepEqual(s.jwtRules[0]?.fromHeaders, ["authorization"]);
  assert.equal(s.trustDomain, "cluster.local");
  const empty = fromWaypointConfig(cfg([{ name: "r" }]));
  assert.equal(empty.listeners[0]?.routes[0]?.matches.length, 1, "no matches → one match-all");
});

test("an invalid regex rejects the whole config (NACK), never half-applies", () => {
  assert.throws(
    () =>
      fromWaypointConfig(
        cfg([{ name: "r", matches: [{ path: { kind: pb.waypoint.StringMatch_Kind.REGEX, value: "(" } }] }]),
      ),
    (e: Error & { code?: string }) => e.code === "invalid_regex" && /r match 0 path/.test(e.message),
  );
});
