/**
 * startWaypoint against a scripted delta ADS server and a real gRPC test CA (both over TLS on
 * loopback): readiness 503 → 200 once it holds a certificate and a config, the config in
 * /config_dump, traffic through the HBONE port decided by the pushed config, a malformed resource
 * NACKed with the reason while the old config keeps serving, removal, and no leaked fds.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeIdentity, socketAddress } from "@ambit/api";
import { connectHeaders, createHboneSecureContext, HbonePool } from "@ambit/core";
import { assertNoLeakedFds, openFds, startTestCaServer, type TestCaServer } from "@ambit/testing";
import type { Any } from "@bufbuild/protobuf/wkt";
import { startWaypoint, type WaypointApp } from "./app.js";
import { jsDuplex } from "./listener/no-writev.js";
import type { AccessLogRecord } from "./telemetry/access-log.js";
import { demoWaypointConfig, demoWaypointProcessConfig } from "./testdata/demo-waypoint.js";
import { type ScriptedAds, startScriptedAds } from "./testdata/scripted-ads.js";
import { WAYPOINT_TYPE_URL } from "./xds/index.js";

const NAME = "demo/waypoint";
const WAYPOINT_ID = makeIdentity("demo", "waypoint");
const SLEEP_ID = makeIdentity("demo", "sleep");

/** demo/waypoint whose reviews route redirects to `redirectHost`. */
function configAny(redirectHost: string, extra: Parameters<typeof demoWaypointConfig>[0] = {}): Any {
  return demoWaypointConfig(extra, {
    ports: [{ port: 9080, targetPort: 9080, name: "http", appProtocol: "http" }],
    routes: [{ name: "demo/r/0", redirect: { hostname: redirectHost, statusCode: 301 } }],
  });
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}

describe("startWaypoint (scripted ADS + test CA)", () => {
  let dir: string;
  let ca: TestCaServer;
  let ads: ScriptedAds;
  let app: WaypointApp;
  let pool: HbonePool;
  let sleepCtx: ReturnType<typeof createHboneSecureContext>;
  let baseline: Map<number, string>;
  const logs: AccessLogRecord[] = [];
  const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-wp-app-"));
    ca = await startTestCaServer();
    const serving = await ca.pki.issue({ dnsNames: ["localhost"], ips: ["127.0.0.1"], ttlMs: 3_600_000 });
    ads = await startScriptedAds(serving);
    const sleep = await ca.pki.issue({ identity: SLEEP_ID });
    sleepCtx = createHboneSecureContext({
      certChain: sleep.chainPem,
      privateKey: sleep.keyPem,
      roots: ca.rootsPem,
    });
    await writeFile(join(dir, "root-cert.pem"), ca.rootsPem);
    baseline = openFds();
    app = await startWaypoint(
      demoWaypointProcessConfig({
        xdsAddress: ads.address,
        caAddress: ca.address,
        rootCertPath: join(dir, "root-cert.pem"),
        tokenFile: join(dir, "node-token"),
        podIp: "127.0.0.1",
        accessLog: (r) => logs.push(r),
        xdsBackoff: { initialMs: 10, maxMs: 100 },
      }),
    );
    pool = new HbonePool();
  });
  after(async () => {
    ads?.close();
    await ca?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tunnel = (authority: string) =>
    pool.connect({
      sourceIdentity: SLEEP_ID,
      destinationIdentities: [WAYPOINT_ID],
      nextHop: socketAddress("127.0.0.1", app.ports.hbone),
      sourceIp: undefined,
      secureContext: sleepCtx,
      headers: connectHeaders({ authority }),
    });
  const request = (authority: string, path: string) =>
    tunnel(authority).then(
      (stream) =>
        new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
          const req = http.request({
            path,
            headers: { host: authority },
            createConnection: () => jsDuplex(stream) as net.Socket,
          });
          req.on("error", reject);
          req.once("response", (res) => {
            res.resume();
            res.once("end", () => {
              stream.end();
              resolve({ status: res.statusCode ?? 0, location: res.headers.location });
            });
          });
          req.end();
        }),
    );

  it("is unready while the node token is missing, and says so", async () => {
    const r = await get(url(app.ports.readiness, "/healthz/ready"));
    assert.equal(r.status, 503);
    assert.match(r.text, /root certificate and node token/);
    assert.match(r.text, /configuration demo\/waypoint/);
  });

  it("fetches its certificate with the node token and subscribes to <ns>/<gw> only", async () => {
    await writeFile(join(dir, "node-token"), "token-aaaaaaaaaaaaaaaa\n");
    const first = await ads.waitFor("subscription", () => ads.streams[0]?.requests[0]);
    assert.equal(first.typeUrl, WAYPOINT_TYPE_URL);
    assert.deepEqual(first.resourceNamesSubscribe, [NAME]);
    assert.equal(first.node?.id, "waypoint~127.0.0.1~waypoint-waypoint.demo~demo.svc.cluster.local");
    assert.equal(first.node?.metadata?.["NODE_NAME"], "node-1");
    const md = ads.streams[0]?.metadata;
    assert.deepEqual(md?.get("authorization"), ["Bearer token-aaaaaaaaaaaaaaaa"]);
    assert.deepEqual(md?.get("x-ambit-node"), ["node-1"]);
    await ads.waitFor("certificate", () =>
      app.readiness().reasons.some((x) => /certificate/.test(x)) ? undefined : true,
    );
    const csr = ca.requests[0];
    assert.equal(csr?.identity, "spiffe://cluster.local/ns/demo/sa/waypoint");
    assert.deepEqual(csr?.metadata.get("x-ambit-node"), ["node-1"]);
    // Certificate but no config: still unready, and the HBONE port answers 503 for now.
    const r = await get(url(app.ports.readiness, "/healthz/ready"));
    assert.equal(r.status, 503);
    assert.doesNotMatch(r.text, /certificate/);
    await assert.rejects(tunnel("10.96.0.10:9080"), /503/);
  });

  it("becomes ready on the first config, shows it in /config_dump and routes by it", async () => {
    const n = ads.push(WAYPOINT_TYPE_URL, [{ name: NAME, version: "v1", any: configAny("v1.example") }]);
    const ack = await ads.reply(n);
    assert.equal(ack.errorDetail, undefined);
    assert.equal((await get(url(app.ports.readiness, "/healthz/ready"))).status, 200);
    const dump = (await (await fetch(url(app.ports.admin, "/config_dump"))).json()) as {
      identity: string;
      config: { version: string; config: { listeners: { hostname: string; addresses: string[] }[] } };
      certificates: { identity: string; state: string }[];
      xds: { connected: boolean };
      readiness: { ready: boolean };
    };
    assert.equal(dump.identity, "spiffe://cluster.local/ns/demo/sa/waypoint");
    assert.equal(dump.config.version, "v1");
    assert.deepEqual(
      dump.config.config.listeners.map((l) => [l.hostname, l.addresses]),
      [["reviews.demo.svc.cluster.local", ["10.96.0.10"]]],
    );
    assert.deepEqual(
      dump.certificates.map((c) => c.state),
      ["available"],
    );
    assert.equal(dump.xds.connected, true);
    assert.equal(dump.readiness.ready, true);
    const r = await request("10.96.0.10:9080", "/page");
    assert.deepEqual(r, { status: 301, location: "http://v1.example:9080/page" });
    await assert.rejects(tunnel("10.96.9.9:9080"), /404/);
    const m = await get(url(app.ports.metrics, "/stats/prometheus"));
    assert.match(m.text, /istio_requests_total\{[^}]*response_code="301"/);
  });

  it("NACKs a malformed resource with the reason and keeps serving the old config", async () => {
    const bad = configAny("v2.example", {
      listeners: [
        {
          hostname: "x.demo.svc.cluster.local",
          addresses: ["10.96.0.10"],
          routes: [{ matches: [{ path: { kind: 2, value: "([" } }] }],
        },
      ],
    });
    const n = ads.push(WAYPOINT_TYPE_URL, [{ name: NAME, version: "v2", any: bad }]);
    const nack = await ads.reply(n);
    assert.match(nack.errorDetail?.message ?? "", /^demo\/waypoint: invalid regex/);
    const garbage = ads.push(WAYPOINT_TYPE_URL, [
      { name: NAME, version: "v3", any: { ...configAny("x"), value: Uint8Array.from([0x0a, 0xff]) } as Any },
    ]);
    assert.match((await ads.reply(garbage)).errorDetail?.message ?? "", /could not be decoded/);
    const r = await request("10.96.0.10:9080", "/");
    assert.equal(r.location, "http://v1.example:9080/", "old config still in force");
    assert.equal((await get(url(app.ports.readiness, "/healthz/ready"))).status, 200);
    const dump = (await (await fetch(url(app.ports.admin, "/config_dump"))).json()) as {
      config: { version: string; lastRejection: { version: string; reason: string } };
    };
    assert.equal(dump.config.version, "v1");
    assert.equal(dump.config.lastRejection.version, "v3");
  });

  it("applies the next good config, and un-readies when the resource is removed", async () => {
    const n = ads.push(WAYPOINT_TYPE_URL, [{ name: NAME, version: "v4", any: configAny("v4.example") }]);
    assert.equal((await ads.reply(n)).errorDetail, undefined);
    assert.equal((await request("10.96.0.10:9080", "/")).location, "http://v4.example:9080/");
    const gone = ads.push(WAYPOINT_TYPE_URL, [], [NAME]);
    await ads.reply(gone);
    assert.equal((await get(url(app.ports.readiness, "/healthz/ready"))).status, 503);
    await assert.rejects(tunnel("10.96.0.10:9080"), /503/);
    assert.ok(logs.length >= 3);
  });

  it("stops cleanly and leaks no fds", async () => {
    pool.close(true);
    await app.stop();
    await app.stop(); // idempotent
    await assertNoLeakedFds(baseline, { timeoutMs: 3000 });
  });
});
