import assert from "node:assert/strict";
import { test } from "node:test";
import { meshConfig } from "../model/mesh-config.js";
import { buildSnapshot } from "../model/snapshot.js";
import type { ServiceObject } from "../sources/config-object.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { istioDurationMs, resolveHost, virtualServiceRoutes } from "./waypoint-virtual-service.js";

test("istioDurationMs: protobuf and Go-style durations", () => {
  const t: [string, number][] = [
    ["5s", 5000],
    ["0.5s", 500],
    ["0.001s", 1],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
  ];
  for (const [d, ms] of t) assert.equal(istioDurationMs(d), ms, d);
});

test("resolveHost: short names in the VirtualService namespace; dotted names and * as written", () => {
  const mesh = meshConfig();
  assert.equal(resolveHost("Reviews", "bk", mesh), "reviews.bk.svc.cluster.local");
  assert.equal(resolveHost("reviews.other", "bk", mesh), "reviews.other");
  assert.equal(resolveHost("*", "bk", mesh), "*");
});

const snap = (http: string, extra = "") => {
  const docs = parseConfigDocuments(
    `apiVersion: v1
kind: Service
metadata: {name: r, namespace: bk}
spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: bk}
spec:
  hosts: ["*.bk.svc.cluster.local"]${extra}
  http: ${http}
`,
    "t.yaml",
    "t",
  );
  for (const d of docs) assert.deepEqual(d.issues, []);
  return buildSnapshot(docs.map((d) => d.object as NonNullable<typeof d.object>));
};
const HOST = "r.bk.svc.cluster.local";
const routesOf = (s: ReturnType<typeof snap>) =>
  virtualServiceRoutes(s, s.services.get("bk/r") as ServiceObject, HOST, false);

test("rules that cannot be applied faithfully are dropped with a warning naming the field", () => {
  const rows: [string, string][] = [
    ["[{match: [{method: {prefix: G}}]}]", "spec.http[0].match[0]"],
    ["[{match: [{port: 80}, {port: 81}]}]", "spec.http[0].match"],
    ["[{directResponse: {status: 200}}]", "spec.http[0]"],
    ["[{match: [{withoutHeaders: {x: {exact: y}}}]}]", "spec.http[0].match[0]"],
  ];
  for (const [http, path] of rows) {
    const { routes, issues } = routesOf(snap(http));
    assert.equal(routes.length, 0, http);
    assert.deepEqual(
      issues.map((i) => [i.code, i.kind, i.name, i.path]),
      [["unsupported_waypoint_config", "VirtualService", "vs", path]],
      http,
    );
    assert.match(issues[0]?.message ?? "", /rule dropped/);
  }
});

test("wildcard hosts match; gateways without mesh do not apply; HTTPRoutes take precedence", () => {
  const ok = routesOf(snap("[{fault: {abort: {httpStatus: 503, percentage: {value: 100}}}}]"));
  assert.equal(ok.routes[0]?.fault?.abortStatus, 503);
  assert.equal(ok.routes[0]?.backends[0]?.hostname, HOST, "no route: the listener's own service");
  const ingress = snap("[{fault: {abort: {httpStatus: 503}}}]", "\n  gateways: [istio-system/ingress]");
  assert.deepEqual(routesOf(ingress), { routes: [], issues: [] });
  const s = snap("[{fault: {abort: {httpStatus: 503, percentage: {value: 1}}}}]");
  const shadowed = virtualServiceRoutes(s, s.services.get("bk/r") as ServiceObject, HOST, true);
  assert.equal(shadowed.routes.length, 0);
  assert.match(shadowed.issues[0]?.message ?? "", /HTTPRoutes attached to that service take precedence/);
});
