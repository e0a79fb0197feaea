import assert from "node:assert/strict";
import { test } from "node:test";
import { type AdminSources, adminRoute } from "./admin-routes.js";
import { RecentConnections } from "./recent-connections.js";

const src: AdminSources = {
  node: "node-1",
  state: () => ({ workloads: [{ uid: "w" }], services: [], policies: [] }),
  certificates: () => [{ identity: "spiffe://cluster.local/ns/a/sa/b", state: "available" }],
  proxies: () => [{ uid: "p" }],
  connections: () => [],
  recentConnections: () => [{ id: "c" }],
  xds: () => ({ ready: true }),
  readiness: () => ({ ready: true, reasons: [] }),
};
const u = (p: string) => new URL(`http://127.0.0.1${p}`);

test("admin: /config_dump has every section", () => {
  const a = adminRoute(src, "GET", u("/config_dump"));
  assert.equal(a.code, 200);
  assert.deepEqual(Object.keys(a.body as object).sort(), [
    "certificates",
    "connections",
    "node",
    "policies",
    "proxies",
    "readiness",
    "recentConnections",
    "services",
    "workloads",
    "xds",
  ]);
});

test("admin: /logging validates the level and method; unknown paths are 404", () => {
  assert.equal(adminRoute(src, "POST", u("/logging?level=nope")).code, 400);
  assert.equal(adminRoute(src, "DELETE", u("/logging?level=info")).code, 405);
  assert.deepEqual(adminRoute(src, "POST", u("/logging?level=warn&tracers=a,b")).body, {
    level: "warn",
    tracers: ["a", "b"],
  });
  assert.deepEqual(adminRoute(src, "POST", u("/logging?level=info&tracers=")).body, {
    level: "info",
    tracers: [],
  });
  assert.equal(adminRoute(src, "GET", u("/config")).code, 404);
});

test("recent connections: bounded, oldest dropped, total kept", () => {
  const r = new RecentConnections(3);
  for (let i = 0; i < 5; i++) r.add({ i });
  assert.deepEqual(
    r.list().map((l) => l["i"]),
    [2, 3, 4],
  );
  assert.equal(r.count, 5);
});
