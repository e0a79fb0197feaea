/**
 * Waypoint suite (issue 8): L7 traffic management and policy through a REAL waypoint in a 2-node
 * local cluster. Namespace `wp` is ambient and bound to Gateway `waypoint` (istio-waypoint), so
 * every request to a Service VIP goes client → ztunnel → waypoint (HBONE) → ztunnel → pod. Pod
 * `db` opts into a second waypoint, `wl` (`waypoint-for: workload`), for traffic to its own IP.
 *   node-1: client, reviews-v2 · node-2: reviews-v1, ratings (HTTP app + gRPC server), db
 * Each case applies its config, waits until it is in force (a response header its route sets, or
 * the behaviour itself), asserts statuses, bodies, counts, identities and the waypoint's access
 * records, then deletes the config and waits until it is gone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Ports } from "@ambit/api";
import { httpGetInNetns } from "@ambit/local";
import { docs, pod } from "./support/manifests.js";
import { type MeshCluster, startMeshCluster } from "./support/mesh-cluster.js";
import { nowIso, waitFor } from "./support/wait.js";
import { APP_PORT, GRPC_PORT, GRPC_SERVER_APP, HTTP_APP } from "./support/waypoint-apps.js";
import {
  appPod,
  appService,
  caseHeader,
  waypointGateway,
  waypointNamespace,
} from "./support/waypoint-manifests.js";
import { waypointPolicyCases } from "./support/waypoint-policy-cases.js";
import {
  type WaypointSuite,
  waitWaypointReady,
  waitWaypointRequest,
  waypointRequests,
} from "./support/waypoint-probe.js";
import { waypointRouteCases, withRoute } from "./support/waypoint-route-cases.js";
import { httpBatch, httpOnce, type Reply, tally } from "./support/waypoint-traffic.js";

const NS = "wp";
const GW = "waypoint";
/** A second waypoint, for workload traffic only: pod `db` opts in with its own label. */
const WL = "wl";
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
  waypointGateway(WL, NS, "workload"),
  pod({ name: "client", namespace: NS, node: "node-1" }),
  app("db", "node-2", { app: "db", "istio.io/use-waypoint": WL }, "db"),
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
  let s: WaypointSuite;
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
      // Its metrics, scraped from the waypoint pod's metrics port: the source side from the
      // client ztunnel's CONNECT baggage, the destination side from the endpoint.
      const m = await httpGetInNetns(s.wp.netns, `http://127.0.0.1:${Ports.metrics}/metrics`, 5000);
      assert.ok("status" in m && m.status === 200, JSON.stringify(m));
      const series = m.body
        .split("\n")
        .find(
          (l) => l.startsWith("istio_requests_total{") && l.includes('destination_workload="reviews-v1"'),
        );
      assert.ok(series, "a request series for reviews-v1");
      for (const label of [
        'reporter="waypoint"',
        'source_workload="client"',
        `source_workload_namespace="${NS}"`,
        'source_canonical_service="client"',
        'source_cluster="Kubernetes"',
        `source_principal="${id("client")}"`,
        'destination_canonical_service="reviews"',
        'destination_canonical_revision="v1"',
        'destination_cluster="Kubernetes"',
        `destination_service="reviews.${NS}.svc.cluster.local"`,
        'response_code="200"',
      ])
        assert.ok(series.includes(label), `${label} in ${series}`);
    }));

  it("pod-addressed traffic to a pod bound to a workload waypoint goes through that waypoint, to that pod", () =>
    c.explain(async () => {
      const wl = await waitWaypointReady(c, NS, WL);
      const db = c.pod("db");
      const url = `http://${db.ip}:${APP_PORT}/rows`;
      // Until the pod's Address resource carries the waypoint, traffic may still flow L4.
      const t0 = nowIso();
      const rec = await waitFor(
        "the client's ztunnel to send db's pod traffic to waypoint wl",
        async () => {
          const r = await httpOnce(s.client.netns, url);
          assert.equal(r.status, 200, JSON.stringify(r));
          assert.equal(JSON.parse(r.body).pod, "db");
          const recs = await waypointRequests(c, wl, WL);
          return recs.find((x) => x.start_time >= t0 && x.upstream === `${db.ip}:${APP_PORT}`);
        },
        30_000,
      );
      assert.equal(rec.response_code, 200);
      assert.equal(rec.route, `${NS}/db/default`);
      assert.equal(rec.source_principal, id("client"));
      const inb = await c.waitRecord(
        "node-2",
        t0,
        (x) =>
          x.direction === "inbound" && x.dst_addr === `${db.ip}:${APP_PORT}` && x.src_identity === id(WL),
      );
      assert.ok(inb.src_addr.startsWith(`${wl.ip}:`), `inbound from the wl waypoint pod: ${inb.src_addr}`);
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
        withRoute(s, route, "split", async () => {
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

  waypointRouteCases(() => s);
  waypointPolicyCases(() => s);
});
