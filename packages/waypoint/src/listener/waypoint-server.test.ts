import assert from "node:assert/strict";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import * as pb from "@ambit/api/pb";
import { assertNoLeakedFds, openFds } from "@ambit/testing";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type App,
  type Harness,
  http1Via,
  rawVia,
  startHarness,
  startHttp1App,
  startHttp2App,
  startTcpApp,
} from "../testdata/harness.js";
import { createTestSigner } from "../testdata/jwt-keys.js";

type Cfg = MessageInitShape<typeof pb.waypoint.WaypointConfigSchema>;
type RouteInit = MessageInitShape<typeof pb.waypoint.RouteSchema>;
const K = pb.waypoint.StringMatch_Kind;
const host = (n: string) => `${n}.bookinfo.svc.cluster.local`;
const BACKEND = "spiffe://cluster.local/ns/bookinfo/sa/backend";
const ep = (address: string, app: string, ports: Record<number, number> = { 9080: 9080 }) => ({
  address,
  identity: BACKEND,
  workload: `bookinfo/${app}`,
  ports,
  app: "reviews",
  version: app,
});
const POD_HOST = "10-0-0-7.bookinfo.pod.cluster.local";
const prefix = (value: string) => ({ path: { kind: K.PREFIX, value } });
const to = (name: string, weight = 1) => ({ hostname: host(name), port: 9080, weight });

const routes: RouteInit[] = [
  {
    name: "bookinfo/reviews/0",
    matches: [{ headers: [{ name: "end-user", value: { value: "jason" } }] }],
    backends: [to("reviews-v2")],
  },
  {
    name: "bookinfo/reviews/1",
    matches: [{ path: { kind: K.EXACT, value: "/split" } }],
    backends: [to("reviews-v1", 90), to("reviews-v3", 10)],
  },
  {
    name: "bookinfo/reviews/2",
    matches: [prefix("/flaky")],
    backends: [to("reviews-v1")],
    retry: { attempts: 2, codes: [503], backoffMs: 5 },
  },
  { name: "bookinfo/reviews/3", matches: [prefix("/noretry-flaky")], backends: [to("reviews-v1")] },
  {
    name: "bookinfo/reviews/4",
    matches: [prefix("/slow")],
    backends: [to("reviews-v1")],
    timeouts: { requestMs: 200 },
  },
  {
    name: "bookinfo/reviews/5",
    matches: [prefix("/delay")],
    backends: [to("reviews-v1")],
    fault: { delayMs: 300, delayPercent: 100 },
  },
  {
    name: "bookinfo/reviews/6",
    matches: [prefix("/abort")],
    backends: [to("reviews-v1")],
    fault: { abortStatus: 418, abortPercent: 100 },
  },
  {
    name: "bookinfo/reviews/7",
    matches: [{ path: { kind: K.EXACT, value: "/old" } }],
    redirect: { path: { kind: pb.waypoint.PathModifier_Kind.FULL, value: "/new" }, statusCode: 301 },
  },
  {
    name: "bookinfo/reviews/8",
    matches: [prefix("/rw")],
    backends: [to("reviews-v1")],
    rewrite: { path: { kind: pb.waypoint.PathModifier_Kind.PREFIX, value: "/v1" } },
    requestHeaders: { set: [{ name: "x-added", value: "1" }], remove: ["x-secret"] },
    responseHeaders: { set: [{ name: "x-resp", value: "yes" }] },
  },
  {
    name: "bookinfo/reviews/9",
    matches: [prefix("/down")],
    backends: [{ hostname: host("dead"), port: 9080, weight: 1 }],
  },
  {
    name: "bookinfo/reviews/10",
    matches: [prefix("/mirror")],
    backends: [to("reviews-v1")],
    mirrors: [{ hostname: host("reviews-v3"), port: 9080, percent: 100 }],
  },
];

function config(): Cfg {
  return {
    namespace: "bookinfo",
    name: "waypoint",
    trustDomain: "cluster.local",
    listeners: [
      {
        hostname: host("reviews"),
        namespace: "bookinfo",
        name: "reviews",
        addresses: ["10.96.0.20"],
        ports: [{ port: 9080, targetPort: 9080, appProtocol: "http" }],
        routes,
      },
      {
        hostname: host("api"),
        namespace: "bookinfo",
        name: "api",
        addresses: ["10.96.0.30"],
        ports: [{ port: 9080, targetPort: 9080 }],
      },
      {
        hostname: host("h2"),
        namespace: "bookinfo",
        name: "h2",
        addresses: ["10.96.0.40"],
        ports: [{ port: 8080, targetPort: 9081, appProtocol: "http2" }],
      },
      {
        hostname: host("tcp"),
        namespace: "bookinfo",
        name: "tcp",
        addresses: ["10.96.0.50"],
        ports: [{ port: 7000, targetPort: 7000 }],
      },
      // A workload (waypoint-for workload|all): CONNECT <pod ip>:<any port>.
      { hostname: POD_HOST, namespace: "bookinfo", name: "db-1", addresses: ["10.0.0.7"] },
    ],
    backends: [
      {
        hostname: host("reviews"),
        name: "reviews",
        namespace: "bookinfo",
        endpoints: [ep("10.0.0.1", "v1")],
      },
      {
        hostname: host("reviews-v1"),
        name: "reviews-v1",
        namespace: "bookinfo",
        endpoints: [ep("10.0.0.1", "v1")],
      },
      {
        hostname: host("reviews-v2"),
        name: "reviews-v2",
        namespace: "bookinfo",
        ports: [{ port: 9080, targetPort: 9080, appProtocol: "http" }],
        endpoints: [ep("10.0.0.2", "v2")],
      },
      {
        hostname: host("reviews-v3"),
        name: "reviews-v3",
        namespace: "bookinfo",
        endpoints: [ep("10.0.0.3", "v3")],
      },
      { hostname: host("dead"), name: "dead", namespace: "bookinfo", endpoints: [ep("10.255.0.1", "dead")] },
      { hostname: host("api"), name: "api", namespace: "bookinfo", endpoints: [ep("10.0.0.4", "api")] },
      {
        hostname: host("h2"),
        name: "h2",
        namespace: "bookinfo",
        ports: [{ port: 8080, targetPort: 9081, appProtocol: "http2" }],
        endpoints: [ep("10.0.0.5", "h2", { 8080: 9081 })],
      },
      {
        hostname: host("tcp"),
        name: "tcp",
        namespace: "bookinfo",
        endpoints: [ep("10.0.0.6", "tcp", { 7000: 7000 })],
      },
      {
        hostname: POD_HOST,
        name: "db-1",
        namespace: "bookinfo",
        anyPort: true,
        endpoints: [{ ...ep("10.0.0.7", "db", {}), workload: "bookinfo/db-1" }],
      },
    ],
    policies: [
      {
        name: "bookinfo/deny-admin",
        action: pb.waypoint.L7Policy_Action.DENY,
        services: [host("api")],
        rules: [{ to: [{ paths: ["/admin*"] }] }],
      },
      {
        name: "bookinfo/db-no-private",
        action: pb.waypoint.L7Policy_Action.DENY,
        services: [POD_HOST],
        rules: [{ to: [{ paths: ["/private*"] }] }],
      },
      {
        name: "bookinfo/require-jwt",
        action: pb.waypoint.L7Policy_Action.ALLOW,
        services: [host("api")],
        rules: [{ to: [{ paths: ["/public*"] }] }, { from: [{ requestPrincipals: ["*"] }] }],
      },
    ],
    jwtRules: [{ name: "bookinfo/jwt/0", issuer: "https://issuer.example", services: [host("api")] }],
  };
}

describe("waypoint data path (real mTLS HBONE on loopback)", () => {
  let h: Harness;
  const apps: Record<string, App> = {};
  let fdsBefore: Map<number, string>;
  const signer = createTestSigner();
  before(async () => {
    fdsBefore = openFds();
    h = await startHarness();
    for (const [ip, name] of [
      ["10.0.0.1", "v1"],
      ["10.0.0.2", "v2"],
      ["10.0.0.3", "v3"],
      ["10.0.0.4", "api"],
    ] as const) {
      apps[name] = await startHttp1App(name);
      h.addEndpointApp(ip, 9080, apps[name].port);
    }
    apps["h2"] = await startHttp2App("h2");
    h.addEndpointApp("10.0.0.5", 9081, apps["h2"].port);
    apps["tcp"] = await startTcpApp("tcp");
    h.addEndpointApp("10.0.0.6", 7000, apps["tcp"].port);
    apps["db"] = await startHttp1App("db");
    h.addEndpointApp("10.0.0.7", 5000, apps["db"].port);
    apps["db-tcp"] = await startTcpApp("db-tcp");
    h.addEndpointApp("10.0.0.7", 7001, apps["db-tcp"].port);
    h.setConfig(config(), signer.jwks);
  });
  after(async () => {
    await h.close();
    for (const a of Object.values(apps)) await new Promise((r) => a.server.close(r));
    assert.equal(h.waypoint.hbone.sessionCount, 0);
    assert.equal(h.waypoint.innerSessions, 0);
    await assertNoLeakedFds(fdsBefore, { timeoutMs: 3000 });
  });

  // The access log is written once the response finished on the waypoint side, which can be a
  // moment after the client has read it: wait for the line.
  const get = async (path: string, headers: Record<string, string> = {}, authority = "10.96.0.20:9080") => {
    const n = h.logs.length;
    const r = await http1Via(h, authority, { path, headers });
    for (let i = 0; i < 200 && h.logs.length === n; i++) await new Promise((res) => setTimeout(res, 10));
    return r;
  };

  it("header-based routing sends end-user: jason to reviews v2", async () => {
    const r = await get("/anything", { "end-user": "jason" });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).name, "v2");
    const log = h.logs.at(-1);
    assert.equal(log?.route, "bookinfo/reviews/0");
    assert.equal(log?.upstream, "10.0.0.2:9080");
  });

  it("no route → 404 with reason in the access log", async () => {
    const r = await get("/nothing-here");
    assert.equal(r.status, 404);
    assert.equal(h.logs.at(-1)?.reason, "no route matched");
    assert.equal(h.logs.at(-1)?.response_flags, "NR");
  });

  it("90/10 weighted split within statistical tolerance (200 requests)", async () => {
    const before1 = apps["v1"]!.hits;
    const before3 = apps["v3"]!.hits;
    const n = 200;
    for (let i = 0; i < n; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => get("/split")));
    }
    const v1 = apps["v1"]!.hits - before1;
    const v3 = apps["v3"]!.hits - before3;
    assert.equal(v1 + v3, n);
    // Binomial(200, 0.1): mean 20, sd 4.2 → accept ±3.5 sd (fails by chance ~1 in 2000 runs).
    assert.ok(v3 >= 6 && v3 <= 35, `v3 got ${v3}/${n}`);
  });

  it("a retry masks an injected 503; without retry the 503 reaches the client", async () => {
    apps["v1"]!.hits = 0; // next hit is odd → 503
    const r = await get("/flaky");
    assert.equal(r.status, 200);
    assert.equal(h.logs.at(-1)?.attempts, 2);
    apps["v1"]!.hits = 0;
    const r2 = await get("/noretry-flaky");
    assert.equal(r2.status, 503);
  });

  it("request timeout → 504 with flag UT", async () => {
    const t0 = Date.now();
    const r = await get("/slow");
    assert.equal(r.status, 504);
    assert.ok(Date.now() - t0 < 900, "answered at the timeout, not when the app answered");
    assert.equal(h.logs.at(-1)?.response_flags, "UT");
  });

  it("fault delay and abort", async () => {
    const t0 = Date.now();
    const d = await get("/delay");
    assert.equal(d.status, 200);
    assert.ok(Date.now() - t0 >= 290, "delayed");
    assert.match(h.logs.at(-1)?.response_flags ?? "", /DI/);
    const a = await get("/abort");
    assert.equal(a.status, 418);
    assert.equal(h.logs.at(-1)?.reason, "fault_abort");
  });

  it("redirect, rewrite and header modifiers", async () => {
    const r = await get("/old?x=1");
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "http://10.96.0.20:9080/new?x=1");
    const w = await get("/rw/items", { "x-secret": "s" });
    assert.equal(w.status, 200);
    const seen = JSON.parse(w.body);
    assert.equal(seen.url, "/v1/items");
    assert.equal(seen.headers["x-added"], "1");
    assert.equal(seen.headers["x-secret"], undefined);
    assert.equal(w.headers["x-resp"], "yes");
  });

  it("mirror sends a copy to the mirror backend", async () => {
    const before3 = apps["v3"]!.hits;
    const r = await get("/mirror");
    assert.equal(r.status, 200);
    for (let i = 0; i < 50 && apps["v3"]!.hits === before3; i++)
      await new Promise((res) => setTimeout(res, 20));
    assert.equal(apps["v3"]!.hits, before3 + 1);
  });

  it("upstream failure → 503 with reason (flag UF)", async () => {
    const r = await get("/down");
    assert.equal(r.status, 503);
    assert.match(r.body, /upstream connect to 10\.255\.0\.1:9080 failed/);
    assert.equal(h.logs.at(-1)?.response_flags, "UF");
  });

  it("L7 deny by path → 403; JWT required: none → 403, bad → 401, valid → 200", async () => {
    const api = (path: string, headers: Record<string, string> = {}) => get(path, headers, "10.96.0.30:9080");
    assert.equal((await api("/public/x")).status, 200);
    const denied = await api("/admin/users", {
      authorization: `Bearer ${signer.token({ iss: "https://issuer.example", sub: "a" })}`,
    });
    assert.equal(denied.status, 403);
    assert.equal(h.logs.at(-1)?.reason, "denied by policy bookinfo/deny-admin");
    const none = await api("/secure");
    assert.equal(none.status, 403);
    assert.match(h.logs.at(-1)?.reason ?? "", /no ALLOW policy matched/);
    const bad = await api("/secure", { authorization: "Bearer a.b.c" });
    assert.equal(bad.status, 401);
    const good = await api("/secure", {
      authorization: `Bearer ${signer.token({ iss: "https://issuer.example", sub: "alice", exp: Math.floor(Date.now() / 1000) + 60 })}`,
    });
    assert.equal(good.status, 200);
  });

  /** One h2c (prior knowledge) POST through a fresh tunnel to `authority`. */
  const h2Post = async (authority: string, headers: http2.OutgoingHttpHeaders, body: string) => {
    const stream = await h.tunnel(authority);
    const session = http2.connect("http://bookinfo", {
      createConnection: () => stream as unknown as net.Socket,
    });
    try {
      return await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const s = session.request({ ":method": "POST", ...headers });
        let status = 0;
        let text = "";
        s.on("response", (hd) => {
          status = Number(hd[":status"]);
        });
        s.on("data", (c) => {
          text += c;
        });
        s.on("end", () => resolve({ status, body: text }));
        s.on("error", reject);
        s.end(body);
      });
    } finally {
      session.close();
    }
  };

  it("the upstream speaks the port's declared protocol: h2c client → http port → HTTP/1.1 app", async () => {
    const res = await h2Post(
      "10.96.0.20:9080",
      { ":path": "/anything", "end-user": "jason" },
      "streamed body",
    );
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body);
    assert.equal(seen.name, "v2", "routed by header, then sent as HTTP/1.1 to the v2 app");
    assert.equal(seen.body, "streamed body");
  });

  it("the upstream speaks the port's declared protocol: HTTP/1.1 client → http2 port → h2c-only app", async () => {
    const r = await get("/from-http1", {}, "10.96.0.40:8080");
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.name, "h2");
    assert.equal(seen.url, "/from-http1");
    assert.equal(h.logs.at(-1)?.upstream, "10.0.0.5:9081");
  });

  it("HTTP/2 prior knowledge is detected and forwarded as HTTP/2", async () => {
    const res = await h2Post("10.96.0.40:8080", { ":path": "/h2path" }, "hello");
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body);
    assert.equal(seen.name, "h2");
    assert.equal(seen.url, "/h2path");
    assert.equal(seen.body, "hello");
  });

  it("opaque bytes take the L4 path (echo through two tunnels)", async () => {
    const r = await rawVia(h, "10.96.0.50:7000", Buffer.from([0, 1, 2, 3, 255]), 500);
    assert.deepEqual(Buffer.from(r.text, "latin1"), Buffer.from([0, 1, 2, 3, 255]));
  });

  it("workload traffic: CONNECT <pod ip>:<any port> reaches that pod on that port, after L7 policy", async () => {
    const r = await get("/rows", {}, "10.0.0.7:5000");
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).name, "db");
    const log = h.logs.at(-1);
    assert.equal(log?.route, "bookinfo/db-1/default");
    assert.equal(log?.upstream, "10.0.0.7:5000");
    assert.equal(log?.destination_service, POD_HOST);
    const denied = await get("/private/x", {}, "10.0.0.7:5000");
    assert.equal(denied.status, 403);
    assert.match(h.logs.at(-1)?.reason ?? "", /bookinfo\/db-no-private/);
    // Another port of the same pod, opaque bytes: the L4 path to 10.0.0.7:7001.
    const t = await rawVia(h, "10.0.0.7:7001", Buffer.from([9, 8, 7]), 1500);
    assert.deepEqual(Buffer.from(t.text, "latin1"), Buffer.from([9, 8, 7]));
    // A pod IP the waypoint does not serve is refused like an unknown service.
    await assert.rejects(h.tunnel("10.0.0.8:5000"), /404/);
  });

  it("unknown service or port in :authority → CONNECT refused", async () => {
    await assert.rejects(h.tunnel("10.96.9.9:9080"), /404/);
    await assert.rejects(h.tunnel("10.96.0.20:1234"), /404/);
  });

  it("metrics carry Istio's names and labels", async () => {
    const text = await h.metrics.text();
    assert.match(
      text,
      /istio_requests_total\{[^}]*reporter="waypoint"[^}]*destination_service="reviews-v2\.bookinfo\.svc\.cluster\.local"[^}]*response_code="200"/,
    );
    assert.match(text, /istio_requests_total\{[^}]*response_code="404"[^}]*response_flags="NR"/);
    assert.match(text, /istio_request_duration_milliseconds_bucket\{/);
    assert.match(text, /istio_request_bytes_bucket\{/);
    assert.match(text, /istio_response_bytes_bucket\{/);
    assert.match(text, /source_principal="spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep"/);
  });
});
