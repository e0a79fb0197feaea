/**
 * The waypoint suite's routing cases (registered inside its `describe`, on its one cluster): an
 * HTTPRoute retry masking injected 503s, a request timeout, and gRPC unary + server streaming.
 * Also {@link withRoute}, which the split case uses too.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { keyOf } from "./mesh-cluster.js";
import { nowIso, waitFor } from "./wait.js";
import { GRPC_PORT } from "./waypoint-apps.js";
import { caseHeader, httpRoute } from "./waypoint-manifests.js";
import { type WaypointSuite, waitWaypointRequest, waypointRequests } from "./waypoint-probe.js";
import { grpcExchange, httpBatch, httpOnce, tally } from "./waypoint-traffic.js";

/**
 * Applies an HTTPRoute whose rules set `x-wp-case: <tag>` (see {@link caseHeader}), waits until
 * responses carry it, runs `fn`, then deletes the route and waits until the header is gone, so
 * no case sees another's route.
 */
export async function withRoute(
  s: WaypointSuite,
  r: Parameters<typeof httpRoute>[0],
  tag: string,
  fn: () => Promise<void>,
): Promise<void> {
  const header = async () => (await httpOnce(s.client.netns, s.url(r.service))).headers["x-wp-case"];
  await s.c.apply(httpRoute(r));
  try {
    await waitFor(
      `route ${r.name} in force`,
      async () => ((await header()) === tag ? true : undefined),
      20_000,
    );
    await fn();
  } finally {
    await s.c.remove(keyOf("HTTPRoute", r.namespace, r.name));
  }
  await waitFor(
    `route ${r.name} gone`,
    async () => ((await header()) === undefined ? true : undefined),
    20_000,
  );
}

export function waypointRouteCases(suite: () => WaypointSuite): void {
  it("retry: a backend failing every other request with 503 fails half without retry, never with attempts: 1", () =>
    suite().c.explain(async () => {
      const s = suite();
      const flaky = s.url("ratings", "/flaky");
      const plain = await httpBatch(s.client.netns, flaky, { count: 10 });
      assert.deepEqual(tally(plain), { 200: 5, 503: 5 }, "without a retry policy every other request fails");
      const route = {
        name: "ratings-retry",
        namespace: s.ns,
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
      await withRoute(s, route, "retry", async () => {
        const since = nowIso();
        const rs = await httpBatch(s.client.netns, flaky, { count: 20 });
        assert.deepEqual(tally(rs), { 200: 20 }, "every 503 was retried into a 200");
        // After the 10 plain requests the pod's counter is even, so each request's first try is the
        // odd (503) one and its one retry the even (200) one: 20 requests, 40 tries, all retried.
        const recs = await waitFor(
          "20 /flaky records on the waypoint",
          async () => {
            const r = (await waypointRequests(s.c, s.wp, s.gw)).filter(
              (x) => x.start_time >= since && x.path === "/flaky",
            );
            return r.length >= 20 ? r : undefined;
          },
          10_000,
        );
        for (const r of recs) {
          assert.equal(r.response_code, 200);
          assert.equal(r.attempts, 2, JSON.stringify(r));
          assert.equal(r.route, `${s.ns}/ratings-retry/0`);
        }
        const seen = JSON.parse((await httpOnce(s.client.netns, s.url("ratings", "/count"))).body).seen;
        assert.equal(seen["/flaky"], 10 + 40, "the pod served every retry");
      });
    }));

  it("request timeout: a backend sleeping 3 s answers 504 after ~500 ms; fast requests pass", () => {
    const s = suite();
    return s.c.explain(() =>
      withRoute(
        s,
        {
          name: "ratings-timeout",
          namespace: s.ns,
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
            s.c,
            s.wp,
            s.gw,
            since,
            (x) => x.path.startsWith("/sleep") && x.response_code === 504,
          );
          assert.match(rec.response_flags, /UT/);
        },
      ),
    );
  });

  it("gRPC unary and server streaming through the waypoint (status codes kept)", (t) =>
    suite().c.explain(async () => {
      const s = suite();
      const ratings = s.c.pod("ratings");
      const since = nowIso();
      const target = `${s.c.vip("ratings")}:${GRPC_PORT}`;
      const ok = await grpcExchange(s.client.netns, target, { msg: "hello waypoint", n: 6 });
      t.diagnostic(JSON.stringify(ok));
      assert.deepEqual(ok.unary, { echo: "hello waypoint", pod: "ratings" });
      assert.deepEqual(ok.stream, [1, 2, 3, 4, 5, 6]);
      assert.equal(ok.streamError, undefined);
      assert.ok((ok.spreadMs ?? 0) >= 50, `messages were streamed, not buffered: ${ok.spreadMs} ms`);
      const bad = await grpcExchange(s.client.netns, target, { msg: "x", n: 1, fail: true });
      assert.deepEqual(bad.unaryError, { code: 5, details: "no such msg" }, "NOT_FOUND crosses the waypoint");
      const rec = await waitWaypointRequest(
        s.c,
        s.wp,
        s.gw,
        since,
        (x) => x.path === "/ambit.e2e.Test/Count",
      );
      assert.equal(rec.response_code, 200);
      assert.equal(rec.upstream, `${ratings.ip}:${GRPC_PORT}`);
      const inb = await s.c.waitRecord(
        "node-2",
        since,
        (x) => x.direction === "inbound" && x.dst_addr === `${ratings.ip}:${GRPC_PORT}`,
      );
      assert.equal(inb.src_identity, `spiffe://cluster.local/ns/${s.ns}/sa/${s.gw}`);
    }));
}
