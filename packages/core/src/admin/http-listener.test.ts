import assert from "node:assert/strict";
import { test } from "node:test";
import { adminRoutes, loggingRoute, metricsRoute } from "./admin-routes.js";
import { listenHttp, toJsonText } from "./http-listener.js";

const u = (p: string) => new URL(p, "http://localhost");

test("listenHttp serves JSON (bigint-safe), strings as-is, and a throwing route as 500", async () => {
  const l = await listenHttp("127.0.0.1", 0, (_m, url) => {
    if (url.pathname === "/boom") throw new Error("broken dump");
    if (url.pathname === "/text") return { code: 200, body: "plain", contentType: "text/plain" };
    return { code: 201, body: { n: 5n } };
  });
  try {
    const base = `http://127.0.0.1:${l.port}`;
    const j = await fetch(`${base}/x`);
    assert.equal(j.status, 201);
    assert.deepEqual(await j.json(), { n: "5" });
    const t = await fetch(`${base}/text`);
    assert.equal(t.headers.get("content-type"), "text/plain");
    assert.equal(await t.text(), "plain");
    const b = await fetch(`${base}/boom`);
    assert.equal(b.status, 500);
    assert.deepEqual(await b.json(), { error: "broken dump" });
  } finally {
    await l.close();
  }
});

test("listenHttp rejects when the port is taken", async () => {
  const l = await listenHttp("127.0.0.1", 0, () => ({ code: 200, body: {} }));
  try {
    await assert.rejects(
      listenHttp("127.0.0.1", l.port, () => ({ code: 200, body: {} })),
      /EADDRINUSE/,
    );
  } finally {
    await l.close();
  }
});

test("toJsonText ends with a newline", () => {
  assert.equal(toJsonText({ a: 1n }), '{\n  "a": "1"\n}\n');
});

test("adminRoutes: dump per request, index, unknown path", () => {
  let n = 0;
  const dump = () => ({ n: ++n });
  assert.deepEqual(adminRoutes(dump, "GET", u("/config_dump")).body, { n: 1 });
  assert.deepEqual(adminRoutes(dump, "GET", u("/config_dump")).body, { n: 2 });
  assert.deepEqual(adminRoutes(dump, "GET", u("/")).body, { paths: ["/config_dump", "/logging"] });
  assert.equal(adminRoutes(dump, "GET", u("/nope")).code, 404);
});

test("loggingRoute rejects bad method and unknown level", () => {
  assert.equal(loggingRoute("DELETE", u("/logging")).code, 405);
  const bad = loggingRoute("POST", u("/logging?level=loud"));
  assert.equal(bad.code, 400);
  const ok = loggingRoute("POST", u("/logging?level=info&tracers=a,,b"));
  assert.deepEqual(ok.body, { level: "info", tracers: ["a", "b"] });
  loggingRoute("POST", u("/logging?tracers="));
});

test("metricsRoute answers only on the two metrics paths", async () => {
  const reg = { metrics: async () => "m 1\n", contentType: "text/plain; version=0.0.4" };
  const ok = await metricsRoute(reg, u("/metrics"));
  assert.deepEqual(ok, { code: 200, body: "m 1\n", contentType: "text/plain; version=0.0.4" });
  assert.equal((await metricsRoute(reg, u("/stats/prometheus"))).code, 200);
  assert.equal((await metricsRoute(reg, u("/other"))).code, 404);
});
