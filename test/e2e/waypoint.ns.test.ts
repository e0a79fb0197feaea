/**
 * Waypoint suite (issue 8): L7 traffic management and policy through a REAL waypoint in a 2-node
 * local cluster. Namespace `wp` is ambient and bound to Gateway `waypoint` (istio-waypoint), so
 * every request to a Service VIP goes client → ztunnel → waypoint (HBONE) → ztunnel → pod.
 *   node-1: client, reviews-v2 · node-2: reviews-v1, ratings (HTTP app + gRPC server)
 * Each case applies its config, waits until it is in force (a response header its route sets, or
 * the behaviour itself), asserts statuses, bodies, counts, identities and the waypoint's access
 * records, then deletes the config and waits until it is gone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Ports } from "@ambit/api";
import { docs, pod } from "./support/manifests.js";
import { keyOf, type MeshCluster, startMeshCluster } from "./support/mesh-cluster.js";
import { nowIso, waitFor } from "./support/wait.js";
import { APP_PORT, GRPC_PORT, GRPC_SERVER_APP, HTTP_APP } from "./support/waypoint-apps.js";
import {
  appPod,
  appService,
  caseHeader,
  httpRoute,
  waypointGateway,
  waypointNamespace,
} from "./support/waypoint-manifests.js";
import { type PolicySuite, waypointPolicyCases } from "./support/waypoint-policy-cases.js";
import { waitWaypointReady, waitWaypointRequest, waypointRequests } from "./support/waypoint-probe.js";
import { grpcExchange, httpBatch, httpOnce, type Reply, tally } from "./support/waypoint-traffic.js";

const NS = "wp";
const GW = "waypoint";
const id = (sa: string) => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;
const http = (name: string, port = 80) => ({ name, port, targetPort: APP_PORT });
const app = (name: string, node: string, labels: Record<string, string>, version: string) =>
  appPod({
    name,
    namespace: NS,
    node,
    sa: labels["app"] ?? name,
    labels,
    containers: [
      {
        name: "http",
        script: HTTP_APP,
        env: { VERSION: version },
        ports: [{ name: "http", port: APP_PORT }],
      },
    ],
  });

const MANIFESTS = docs(
  waypointNamespace(NS, GW),
  waypointGateway(GW, NS),
  pod({ name: "client", namespace: NS, node: "node-1" }),
  app("reviews-v1", "node-2", { app: "reviews", version: "v1" }, "v1"),
  app("reviews-v2", "node-1", { app: "reviews", version: "v2" }, "v2"),
  appPod({
    name: "ratings",
    namespace: NS,
    node: "node-2",
    labels: { app: "ratings" },
    containers: [
      {
        name: "http",
        script: HTTP_APP,
        env: { VERSION: "ratings" },
        ports: [{ name: "http", port: APP_PORT }],
      },
      { name: "grpc", script: GRPC_SERVER_APP, ports: [{ name: "grpc", port: GRPC_PORT }] },
    ],
  }),
  appService({ name: "reviews", namespace: NS, selector: { app: "reviews" }, ports: [http("http")] }),
  ...["v1", "v2"].map((v) =>
    appService({
      name: `reviews-${v}`,
      namespace: NS,
      selector: { app: "reviews", version: v },
      ports: [http("http")],
      labels: { "istio.io/use-waypoint": "none" },
    }),
  ),
  appService({
    name: "ratings",
    namespace: NS,
    selector: { app: "ratings" },
    ports: [http("http"), { name: "grpc", port: GRPC_PORT, targetPort: GRPC_PORT, appProtocol: "grpc" }],
  }),
);

describe("e2e waypoint: L7 routing and policy through a real waypoint", () => {
  let c: MeshCluster;
  let s: PolicySuite;
  before(async () => {
    c = await startMeshCluster({ name: "waypoint", manifests: MANIFESTS });
    await c.explain(async () => {
      const wp = await waitWaypointReady(c, NS, GW);
      s = {
        c,
        client: c.pod("client"),
        wp,
        ns: NS,
        gw: GW,
        url: (svc, path = "/") => `http://${c.vip(svc)}${path}`,
      };
    });
  });
  after(async () => {
    await c?.down();
  });

  /** Applies a route, waits for its `x-wp-case` header, runs `fn`, deletes it and waits until it is gone. */
  async function withRoute(
    r: Parameters<typeof httpRoute>[0],
    tag: string,
    fn: () => Promise<void>,
  ): Promise<void> {
    await c.apply(httpRoute(r));
    try {
      await waitFor(
        `route ${r.name} in force`,
        async () =>
          (await httpOnce(s.client.netns, s.url(r.service))).headers["x-wp-case"] === tag ? true : undefined,
        20_000,
      );
      await fn();
    } finally {
      await c.remove(keyOf("HTTPRoute", r.namespace, r.name));
    }
    await waitFor(
      `route ${r.name} gone`,
      async () =>
        (await httpOnce(s.client.netns, s.url(r.service))).headers["x-wp-case"] === undefined
          ? true
          : undefined,
      20_000,
    );
  }

  it("a bound Service's traffic goes client → ztunnel → waypoint → ztunnel, with the waypoint's identity", () =>
    c.explain(async () => {
      const v1 = c.pod("reviews-v1");
      const dst = `${c.vip("reviews")}:80`;
      // Until the Address resources carry the waypoint, traffic may still flow L4: wait for the hop.
      const since = nowIso();
      const out = await waitFor(
        "the client's ztunnel to send reviews traffic to the waypoint",
        async () => {
          const r = await httpOnce(s.client.netns, s.url("reviews"));
          assert.equal(r.status, 200, JSON.stringify(r));
          const recs = await c.records("node-1");
          return recs.find(
            (x) =>
              x.at >= since &&
              x.direction === "outbound" &&
              x.dst_addr === dst &&
              x.hbone_next_hop === `${s.wp.ip}:${Ports.hbone}`,
          );
        },
        30_000,
      );
      assert.equal(out.src_identity, id("client"));
      assert.equal(out.dst_identity, id(GW), "the source ztunnel verified the waypoint's identity");
      // Land on reviews-v1 (node-2) and check what its ztunnel saw: the waypoint, not the client.
      const t0 = nowIso();
      const hit = await waitFor(
        "a reply from reviews-v1",
        async () => {
          const r = await httpOnce(s.client.netns, s.url("reviews"));
          return r.status === 200 && JSON.parse(r.body).pod === "reviews-v1" ? r : undefined;
        },
        15_000,
      );
      assert.equal(JSON.parse(hit.body).version, "v1");
      const inb = await c.waitRecord(
        "node-2",
        t0,
        (x) => x.direction === "inbound" && x.dst_addr === `${v1.ip}:${APP_PORT}`,
      );
      assert.equal(inb.src_identity, id(GW), "the destination ztunnel saw the waypoint's SPIFFE id");
      assert.ok(inb.src_addr.startsWith(`${s.wp.ip}:`), `inbound from the waypoint pod: ${inb.src_addr}`);
      const rec = await waitWaypointRequest(c, s.wp, GW, t0, (x) => x.upstream === `${v1.ip}:${APP_PORT}`);
      assert.equal(rec.response_code, 200);
      assert.equal(rec.source_principal, id("client"), "the waypoint saw the client's identity");
      assert.equal(rec.route, `${NS}/reviews/default`);
    }));

  describe("HTTPRoute on reviews: header match and 90/10 split", () => {
    const route = {
      name: "reviews",
      namespace: NS,
      service: "reviews",
      port: 80,
      rules: [
        {
          matches: [{ headers: [{ name: "end-user", value: "jason" }] }],
          filters: [caseHeader("split")],
          backendRefs: [{ name: "reviews-v2", port: 80 }],
        },
        {
          filters: [caseHeader("split")],
          backendRefs: [
            { name: "reviews-v1", port: 80, weight: 90 },
            { name: "reviews-v2", port: 80, weight: 10 },
          ],
        },
      ],
    };
    const versions = (rs: readonly Reply[]) => {
      const n: Record<string, number> = {};
      for (const r of rs)
        n[r.headers["x-version"] ?? "none"] = (n[r.headers["x-version"] ?? "none"] ?? 0) + 1;
      return n;
    };

    it("90/10: 400 requests land on v1/v2 within ±5 points of the weights; end-user: jason always gets v2", (t) =>
      c.explain(() =>
        withRoute(route, "split", async () => {
          const rs = await httpBatch(s.client.netns, s.url("reviews"), { count: 400, concurrency: 8 });
          assert.deepEqual(tally(rs), { 200: 400 });
          const n = versions(rs);
          t.diagnostic(`split: ${JSON.stringify(n)}`);
          assert.equal((n["v1"] ?? 0) + (n["v2"] ?? 0), 400, JSON.stringify(n));
          const v2 = (n["v2"] ?? 0) / 400;
          assert.ok(v2 >= 0.05 && v2 <= 0.15, `v2 share ${v2} outside 10% ± 5 points`);
          const jason = await httpBatch(s.client.netns, s.url("reviews"), {
            count: 30,
            concurrency: 4,
            headers: { "end-user": "jason" },
          });
          assert.deepEqual(versions(jason), { v2: 30 });
          assert.ok(jason.every((r) => r.status === 200 && JSON.parse(r.body).user === "jason"));
        }),
      ));
  });

  it("retry: a backend failing every other request with 503 fails half without retry, never with attempts: 1", () =>
    c.explain(async () => {
      const flaky = s.url("ratings", "/flaky");
      const plain = await httpBatch(s.client.netns, flaky, { count: 10 });
      assert.deepEqual(tally(plain), { 200: 5, 503: 5 }, "without a retry policy every other request fails");
      const route = {
        name: "ratings-retry",
        namespace: NS,
        service: "ratings",
        port: 80,
        rules: [
          {
            filters: [caseHeader("retry")],
            backendRefs: [{ name: "ratings", port: 80 }],
            retry: { codes: [503], attempts: 1, backoff: "10ms" },
          },
        ],
      };
      await withRoute(route, "retry", async () => {
        const since = nowIso();
        const rs = await httpBatch(s.client.netns, flaky, { count: 20 });
        assert.deepEqual(tally(rs), { 200: 20 }, "every 503 was retried into a 200");
        // After the 10 plain requests the pod's counter is even, so each request's first try is the
        // odd (503) one and its one retry the even (200) one: 20 requests, 40 tries, all retried.
        const recs = await waitFor(
          "20 /flaky records on the waypoint",
          async () => {
            const r = (await waypointRequests(c, s.wp, GW)).filter(
              (x) => x.start_time >= since && x.path === "/flaky",
            );
            return r.length >= 20 ? r : undefined;
          },
          10_000,
        );
        for (const r of recs) {
          assert.equal(r.response_code, 200);
          assert.equal(r.attempts, 2, JSON.stringify(r));
          assert.equal(r.route, `${NS}/ratings-retry/0`);
        }
        const seen = JSON.parse((await httpOnce(s.client.netns, s.url("ratings", "/count"))).body).seen;
        assert.equal(seen["/flaky"], 10 + 40, "the pod served every retry");
      });
    }));

  it("request timeout: a backend sleeping 3 s answers 504 after ~500 ms; fast requests pass", () =>
    c.explain(() =>
      withRoute(
        {
          name: "ratings-timeout",
          namespace: NS,
          service: "ratings",
          port: 80,
          rules: [
            {
              filters: [caseHeader("timeout")],
              backendRefs: [{ name: "ratings", port: 80 }],
              timeouts: { request: "500ms" },
            },
          ],
        },
        "timeout",
        async () => {
          const since = nowIso();
          const slow = await httpOnce(s.client.netns, s.url("ratings", "/sleep?ms=3000"));
          assert.equal(slow.status, 504, JSON.stringify(slow));
          assert.ok(slow.ms >= 450 && slow.ms < 2500, `504 after ${slow.ms} ms`);
          const fast = await httpOnce(s.client.netns, s.url("ratings", "/sleep?ms=10"));
          assert.equal(fast.status, 200);
          const rec = await waitWaypointRequest(
            c,
            s.wp,
            GW,
            since,
            (x) => x.path.startsWith("/sleep") && x.response_code === 504,
          );
          assert.match(rec.response_flags, /UT/);
        },
      ),
    ));

  it("gRPC unary and server streaming through the waypoint (status codes kept)", (t) =>
    c.explain(async () => {
      const ratings = c.pod("ratings");
      const since = nowIso();
      const target = `${c.vip("ratings")}:${GRPC_PORT}`;
      const ok = await grpcExchange(s.client.netns, target, { msg: "hello waypoint", n: 6 });
      t.diagnostic(JSON.stringify(ok));
      assert.deepEqual(ok.unary, { echo: "hello waypoint", pod: "ratings" });
      assert.deepEqual(ok.stream, [1, 2, 3, 4, 5, 6]);
      assert.equal(ok.streamError, undefined);
      assert.ok((ok.spreadMs ?? 0) >= 50, `messages were streamed, not buffered: ${ok.spreadMs} ms`);
      const bad = await grpcExchange(s.client.netns, target, { msg: "x", n: 1, fail: true });
      assert.deepEqual(bad.unaryError, { code: 5, details: "no such msg" }, "NOT_FOUND crosses the waypoint");
      const rec = await waitWaypointRequest(c, s.wp, GW, since, (x) => x.path === "/ambit.e2e.Test/Count");
      assert.equal(rec.response_code, 200);
      assert.equal(rec.upstream, `${ratings.ip}:${GRPC_PORT}`);
      const inb = await c.waitRecord(
        "node-2",
        since,
        (x) => x.direction === "inbound" && x.dst_addr === `${ratings.ip}:${GRPC_PORT}`,
      );
      assert.equal(inb.src_identity, id(GW));
    }));

  waypointPolicyCases(() => s);
});
