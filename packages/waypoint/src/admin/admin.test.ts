import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import type { AccessLogRecord } from "../telemetry/access-log.js";
import { adminRoute, metricsRoute, type WaypointAdminSources } from "./admin-routes.js";
import { decideWaypointReadiness, readinessRoute } from "./readiness.js";
import { RecentRequests } from "./recent-requests.js";

const base = {
  bootstrapped: true,
  certificate: true,
  config: true,
  draining: false,
  identity: "spiffe://cluster.local/ns/demo/sa/waypoint",
  resource: "demo/waypoint",
};

describe("waypoint readiness", () => {
  const cases: [string, Partial<typeof base>, RegExp[]][] = [
    ["ready", {}, []],
    [
      "no bootstrap files (certificate not reported twice)",
      { bootstrapped: false, certificate: false },
      [/node token/],
    ],
    [
      "no certificate",
      { certificate: false },
      [/certificate for spiffe:\/\/cluster.local\/ns\/demo\/sa\/waypoint/],
    ],
    ["no config", { config: false }, [/configuration demo\/waypoint/]],
    [
      "nothing yet",
      { bootstrapped: false, certificate: false, config: false },
      [/node token/, /configuration/],
    ],
    ["draining", { draining: true }, [/draining/]],
  ];
  for (const [what, over, reasons] of cases) {
    it(what, () => {
      const r = decideWaypointReadiness({ ...base, ...over });
      assert.equal(r.ready, reasons.length === 0);
      assert.equal(r.reasons.length, reasons.length);
      for (const [i, re] of reasons.entries()) assert.match(r.reasons[i] ?? "", re);
    });
  }
  it("route: 200/503 on /healthz/ready, 404 elsewhere", () => {
    const ok = decideWaypointReadiness(base);
    const no = decideWaypointReadiness({ ...base, config: false });
    assert.equal(readinessRoute(ok, new URL("http://x/healthz/ready")).code, 200);
    assert.equal(readinessRoute(no, new URL("http://x/healthz/ready")).code, 503);
    assert.equal(readinessRoute(ok, new URL("http://x/ready")).code, 404);
  });
});

describe("waypoint admin routes", () => {
  const src: WaypointAdminSources = {
    gateway: { namespace: "demo", name: "waypoint" },
    node: "node-1",
    identity: "spiffe://cluster.local/ns/demo/sa/waypoint",
    config: () => ({ resource: "demo/waypoint" }),
    certificates: () => [],
    xds: () => ({ connected: false }),
    readiness: () => ({ ready: false }),
    recentRequests: () => [],
  };
  const u = (p: string) => new URL(`http://127.0.0.1${p}`);
  it("/config_dump has every section", () => {
    const a = adminRoute(src, "GET", u("/config_dump"));
    assert.equal(a.code, 200);
    assert.deepEqual(Object.keys(a.body as object).sort(), [
      "certificates",
      "config",
      "gateway",
      "identity",
      "node",
      "readiness",
      "recentRequests",
      "xds",
    ]);
  });
  it("/logging validates level and method; unknown paths are 404", () => {
    assert.equal(adminRoute(src, "POST", u("/logging?level=loud")).code, 400);
    assert.equal(adminRoute(src, "DELETE", u("/logging")).code, 405);
    assert.deepEqual(adminRoute(src, "POST", u("/logging?level=info&tracers=waypoint.xds")).body, {
      level: "info",
      tracers: ["waypoint.xds"],
    });
    adminRoute(src, "POST", u("/logging?tracers="));
    assert.equal(adminRoute(src, "GET", u("/stats")).code, 404);
  });
  it("metrics on /stats/prometheus and /metrics only", async () => {
    const r = new Registry();
    assert.equal((await metricsRoute(r, u("/stats/prometheus"))).code, 200);
    assert.equal((await metricsRoute(r, u("/metrics"))).code, 200);
    assert.equal((await metricsRoute(r, u("/stats"))).code, 404);
  });
  it("recent requests are bounded, oldest dropped, total counted", () => {
    const rr = new RecentRequests(2);
    for (const path of ["/a", "/b", "/c"]) rr.add({ path } as AccessLogRecord);
    assert.deepEqual(
      rr.list().map((r) => r.path),
      ["/b", "/c"],
    );
    assert.equal(rr.count, 3);
  });
});
