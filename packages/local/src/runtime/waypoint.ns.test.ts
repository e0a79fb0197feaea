import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { nodeInNetns, pidAlive } from "@ambit/testing";
import { parse } from "yaml";
import { listNetns } from "../cluster/cluster-network.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { LocalRuntime } from "./local-runtime.js";
import type { ClusterStatus, WaypointPodStatus } from "./status.js";
import { shopWaypointFlags } from "./testdata/shop-waypoint-flags.js";

const STUB = new URL("./testdata/waypoint-stub-main.mjs", import.meta.url).pathname;
const GET = `require("node:http").get(process.argv[1], { timeout: 3000 }, (r) => { let b = ""; r.on("data", (c) => b += c); r.on("end", () => process.stdout.write(r.statusCode + " " + b)); }).on("error", (e) => process.stdout.write("ERR " + e.code));`;

const inNetns = (netns: string, script: string, ...args: string[]): string =>
  nodeInNetns(netns, script, args);

const NS_AND_CLIENT = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/use-waypoint: waypoint}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {nodeName: node-1, containers: [{name: c, command: [sleep, "600"]}]}
`;
const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: service}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;

async function until(
  rt: LocalRuntime,
  pred: (s: ClusterStatus) => boolean,
  what: string,
  ms = 10_000,
): Promise<ClusterStatus> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await rt.status();
    if (pred(s)) return s;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(s.waypoints)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const ready = (s: ClusterStatus): WaypointPodStatus | undefined =>
  s.waypoints.find((w) => w.name === "waypoint" && w.health === "ready");

describe("LocalRuntime waypoints (real namespaces, stub waypoint main)", () => {
  const id = `w${randomBytes(3).toString("hex")}`;
  const prefix = `ambit-${id}-`;
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-wp-"));
  const file = join(stateDir, "m.yaml");
  let rt: LocalRuntime;
  const pids = new Set<number>();

  before(async () => {
    rt = LocalRuntime.open({
      stateDir,
      clusterId: id,
      nodes: 2,
      backoff: { initialMs: 100, maxMs: 500, factor: 2, resetAfterMs: 10_000 },
      resolveMain: (app) =>
        app === "waypoint"
          ? { available: true, app, path: STUB }
          : { available: false, app, reason: "not used in this test" },
    });
    await rt.up(parseManifestText(NS_AND_CLIENT + "---\n" + GATEWAY, file));
  });

  after(async () => {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("a waypoint Gateway gets a pod on the emptier node, a Service VIP and a ready process", async () => {
    const s = await until(rt, (x) => ready(x) !== undefined, "waypoint ready");
    const w = ready(s);
    assert.ok(w);
    assert.deepEqual(
      [w.namespace, w.pod, w.node, w.state, w.process],
      ["shop", "waypoint-waypoint", "node-2", "running", "waypoint-shop-waypoint"],
    );
    assert.ok(w.pid !== undefined);
    pids.add(w.pid);
    assert.equal(s.pods.find((p) => p.name === "waypoint-waypoint")?.phase, "Running");
    const svc = s.services.find((v) => v.namespace === "shop" && v.name === "waypoint");
    assert.equal(svc?.vip, w.vip);
    assert.equal(svc?.endpoints, 1);
    assert.ok(existsSync(`/var/run/netns/${w.netns}`));
    const argv = JSON.parse(inNetns(w.netns, GET, "http://127.0.0.1:15021/argv").slice(4));
    assert.deepEqual(argv, shopWaypointFlags(stateDir, w.ip));
    const client = s.pods.find((p) => p.name === "client");
    assert.ok(client);
    for (const pid of client.containers.map((c) => c.pid)) if (pid !== undefined) pids.add(pid);
    // kube-proxy DNAT to the waypoint pod, by VIP and by Service name.
    assert.match(inNetns(client.netns, GET, `http://${w.vip}:15021/healthz/ready`), /^200 ready/);
    assert.match(inNetns(client.netns, GET, "http://waypoint.shop:15021/healthz/ready"), /^200 ready/);
    const cfg = readdirSync(join(stateDir, "config"));
    for (const f of [
      "gateway--shop--waypoint.yaml",
      "service--shop--waypoint.yaml",
      "pod--shop--waypoint-waypoint.yaml",
    ])
      assert.ok(cfg.includes(f), f);
    const pod = parse(readFileSync(join(stateDir, "config", "pod--shop--waypoint-waypoint.yaml"), "utf8"));
    assert.equal(pod.spec.serviceAccountName, "waypoint");
    assert.equal(pod.status.phase, "Running");
  });

  it("the supervisor restarts a killed waypoint process", async () => {
    const w = ready(await rt.status());
    assert.ok(w?.pid !== undefined);
    process.kill(w.pid, "SIGKILL");
    const s = await until(
      rt,
      (x) => {
        const n = ready(x);
        return n !== undefined && n.pid !== w.pid && n.restarts >= 1;
      },
      "waypoint restarted",
    );
    const again = ready(s);
    if (again?.pid !== undefined) pids.add(again.pid);
  });

  it("deleting the Gateway removes pod, Service, process and published objects; re-apply brings them back", async () => {
    const w = ready(await rt.status());
    assert.ok(w?.pid !== undefined);
    const missing = await rt.delete(["Gateway/shop/waypoint"]);
    assert.deepEqual(missing, []);
    const s = await rt.status();
    assert.deepEqual(s.waypoints, []);
    assert.equal(
      s.services.some((v) => v.name === "waypoint"),
      false,
    );
    assert.equal(
      s.pods.some((p) => p.name === "waypoint-waypoint"),
      false,
    );
    assert.ok(!pidAlive(w.pid), "waypoint process ended");
    assert.ok(!listNetns().includes(w.netns), "pod netns removed");
    const cfg = readdirSync(join(stateDir, "config"));
    assert.deepEqual(
      cfg.filter((f) => f.includes("waypoint")),
      [],
    );
    await rt.apply(parseManifestText(GATEWAY, file));
    const back = ready(await until(rt, (x) => ready(x) !== undefined, "waypoint back"));
    if (back?.pid !== undefined) pids.add(back.pid);
    assert.equal(back?.vip, w.vip, "the VIP comes back the same (lowest free)");
  });

  it("down removes the waypoint with everything else", async () => {
    await rt.down();
    assert.deepEqual(
      listNetns().filter((n) => n.startsWith(prefix)),
      [],
    );
    assert.ok(pids.size >= 3);
    for (const pid of pids) assert.ok(!pidAlive(pid), `process ${pid} still alive`);
    await rt.down(); // idempotent
  });
});
