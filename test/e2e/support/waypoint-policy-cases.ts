/**
 * The waypoint suite's policy cases (registered inside its `describe`, on its one cluster):
 * VirtualService fault delay and abort, L7 AuthorizationPolicy DENY by path, and
 * RequestAuthentication (inline JWKS, RS256 + ES256 tokens signed here) with and without an ALLOW
 * policy that requires a request principal.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { createTestIssuer } from "./jwt.js";
import { keyOf } from "./mesh-cluster.js";
import { nowIso, waitFor } from "./wait.js";
import {
  faultVirtualService,
  requestAuthentication,
  serviceAuthorizationPolicy,
} from "./waypoint-manifests.js";
import { type WaypointSuite, waitWaypointRequest } from "./waypoint-probe.js";
import { httpBatch, httpOnce, type Reply, tally } from "./waypoint-traffic.js";

/** Applies `yaml`, waits for `inForce`, runs `fn`; always deletes `keys`, then waits for `gone`. */
async function withConfig(
  s: WaypointSuite,
  yaml: string,
  keys: readonly string[],
  inForce: () => Promise<boolean>,
  gone: () => Promise<boolean>,
  fn: () => Promise<void>,
): Promise<void> {
  await s.c.apply(yaml);
  try {
    await waitFor("config in force", async () => ((await inForce()) ? true : undefined), 20_000);
    await fn();
  } finally {
    await s.c.remove(...keys);
  }
  await waitFor("config removed", async () => ((await gone()) ? true : undefined), 20_000);
}

export function waypointPolicyCases(suite: () => WaypointSuite): void {
  const get = (svc: string, path = "/", headers: Record<string, string> = {}): Promise<Reply> => {
    const s = suite();
    return httpOnce(s.client.netns, s.url(svc, path), { headers });
  };

  it("VirtualService fault delay: every request waits ≥ 700 ms, then succeeds", () => {
    const s = suite();
    const host = `ratings.${s.ns}.svc.cluster.local`;
    const vs = faultVirtualService({
      name: "ratings-delay",
      namespace: s.ns,
      host,
      fault: { delay: { percentage: { value: 100 }, fixedDelay: "700ms" } },
    });
    return s.c.explain(() =>
      withConfig(
        s,
        vs,
        [keyOf("VirtualService", s.ns, "ratings-delay")],
        async () => (await get("ratings")).ms >= 650,
        async () => (await get("ratings")).ms < 500,
        async () => {
          const since = nowIso();
          const rs = await httpBatch(s.client.netns, s.url("ratings"), { count: 6, concurrency: 3 });
          assert.deepEqual(tally(rs), { 200: 6 });
          for (const r of rs) assert.ok(r.ms >= 700, `delayed only ${r.ms} ms`);
          const rec = await waitWaypointRequest(
            s.c,
            s.wp,
            s.gw,
            since,
            (x) => x.response_code === 200 && /DI/.test(x.response_flags),
          );
          assert.match(rec.route, /ratings-delay/);
        },
      ),
    );
  });

  it("VirtualService fault abort: every request answers the configured 418 without reaching the pod", () => {
    const s = suite();
    const vs = faultVirtualService({
      name: "ratings-abort",
      namespace: s.ns,
      host: `ratings.${s.ns}.svc.cluster.local`,
      fault: { abort: { percentage: { value: 100 }, httpStatus: 418 } },
    });
    return s.c.explain(async () => {
      await withConfig(
        s,
        vs,
        [keyOf("VirtualService", s.ns, "ratings-abort")],
        async () => (await get("ratings")).status === 418,
        async () => (await get("ratings")).status === 200,
        async () => {
          const since = nowIso();
          const rs = await httpBatch(s.client.netns, s.url("ratings", "/aborted"), {
            count: 10,
            concurrency: 2,
          });
          assert.deepEqual(tally(rs), { 418: 10 });
          const rec = await waitWaypointRequest(s.c, s.wp, s.gw, since, (x) => x.path === "/aborted");
          assert.equal(rec.response_code, 418);
          assert.match(rec.response_flags, /FI/);
          assert.equal(rec.upstream, "-", "an aborted request never reaches an endpoint");
        },
      );
      const seen = JSON.parse((await get("ratings", "/count")).body).seen as Record<string, number>;
      assert.equal(seen["/aborted"], undefined, "the pod never saw an aborted request");
    });
  });

  it("L7 AuthorizationPolicy DENY by path: /admin* → 403 naming the policy, other paths 200", () => {
    const s = suite();
    const ap = serviceAuthorizationPolicy({
      name: "deny-admin",
      namespace: s.ns,
      service: "reviews",
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }],
    });
    return s.c.explain(() =>
      withConfig(
        s,
        ap,
        [keyOf("AuthorizationPolicy", s.ns, "deny-admin")],
        async () => (await get("reviews", "/admin/x")).status === 403,
        async () => (await get("reviews", "/admin/x")).status === 200,
        async () => {
          const since = nowIso();
          const denied = await get("reviews", "/admin/users");
          assert.equal(denied.status, 403);
          assert.equal(denied.body.trimEnd(), "RBAC: access denied");
          const ok = await get("reviews", "/public");
          assert.equal(ok.status, 200);
          assert.equal(JSON.parse(ok.body).path, "/public");
          const rec = await waitWaypointRequest(s.c, s.wp, s.gw, since, (x) => x.path === "/admin/users");
          assert.equal(rec.response_code, 403);
          assert.match(rec.reason, /deny-admin/, "the access record names the policy");
          assert.equal(rec.upstream, "-");
        },
      ),
    );
  });

  it("RequestAuthentication: invalid tokens 401, valid RS256/ES256 200; with an ALLOW on requestPrincipals a missing token is 403", () => {
    const s = suite();
    const iss = createTestIssuer("https://issuer.e2e.test", "reviews", "alice");
    const ra = requestAuthentication({
      name: "reviews-jwt",
      namespace: s.ns,
      service: "reviews",
      issuer: iss.issuer,
      audiences: ["reviews"],
      jwks: iss.jwks,
    });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const forged = iss.token("RS256", {}, { foreignKey: true });
    const raKey = keyOf("RequestAuthentication", s.ns, "reviews-jwt");
    return s.c.explain(() =>
      withConfig(
        s,
        ra,
        [raKey],
        async () => (await get("reviews", "/", bearer(forged))).status === 401,
        async () => (await get("reviews", "/", bearer(forged))).status === 200,
        async () => {
          // RequestAuthentication alone: a token, when present, must be valid; no token passes.
          const bad = await get("reviews", "/", bearer(forged));
          assert.equal(bad.status, 401);
          assert.match(bad.headers["www-authenticate"] ?? "", /Bearer/);
          assert.equal(
            (await get("reviews", "/", bearer(iss.token("ES256", { exp: 1000 })))).status,
            401,
            "expired",
          );
          assert.equal(
            (await get("reviews", "/", bearer(iss.token("ES256", { aud: "other" })))).status,
            401,
            "audience",
          );
          assert.equal((await get("reviews", "/", bearer("not.a.jwt"))).status, 401, "malformed");
          assert.equal((await get("reviews", "/")).status, 200, "no token and no policy requiring one");
          for (const alg of ["RS256", "ES256"] as const)
            assert.equal((await get("reviews", "/", bearer(iss.token(alg)))).status, 200, alg);
          // ALLOW only requests with a principal from this issuer: a missing token is now 403.
          const ap = serviceAuthorizationPolicy({
            name: "require-jwt",
            namespace: s.ns,
            service: "reviews",
            action: "ALLOW",
            rules: [{ from: [{ source: { requestPrincipals: [`${iss.issuer}/*`] } }] }],
          });
          await withConfig(
            s,
            ap,
            [keyOf("AuthorizationPolicy", s.ns, "require-jwt")],
            async () => (await get("reviews")).status === 403,
            async () => (await get("reviews")).status === 200,
            async () => {
              const none = await get("reviews");
              assert.equal(none.status, 403);
              assert.equal(none.body.trimEnd(), "RBAC: access denied");
              for (const alg of ["RS256", "ES256"] as const) {
                const r = await get("reviews", "/", bearer(iss.token(alg)));
                assert.equal(r.status, 200, `${alg}: ${r.body}`);
              }
              assert.equal((await get("reviews", "/", bearer(forged))).status, 401, "forged stays 401");
            },
          );
        },
      ),
    );
  });
}
