import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { rootCertPath, servingSans, startControlPlane } from "./app.js";
import { waypointPodYaml } from "./controller/testdata/waypoint-pod-yaml.js";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, uid: u1}
spec: {serviceAccountName: sa, nodeName: node-a}
status: {phase: Running, podIP: 10.1.0.5}
`;

/** The app with every port on loopback picked by the OS and a short config debounce. */
const startOnLoopback = (stateDir: string, configDir: string) =>
  startControlPlane({
    configDir,
    stateDir,
    listenHost: "127.0.0.1",
    listenPort: 0,
    statusPort: 0,
    debounceMs: 10,
  });

interface StatusBody {
  readonly snapshot: { readonly pods: number };
  readonly streams: readonly unknown[];
}

async function status(port: number, path = "/status"): Promise<{ code: number; body: StatusBody }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { code: r.status, body: (await r.json()) as StatusBody };
}

test("app: a missing config dir is an empty mesh; files written later are picked up", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cp-app-"));
  const configDir = join(dir, "config", "not-yet");
  const app = await startOnLoopback(dir, configDir);
  try {
    assert.ok(existsSync(rootCertPath(dir)));
    assert.equal(app.rootCertPath, rootCertPath(dir));
    const port = app.statusPort ?? 0;
    assert.equal((await status(port)).body.snapshot.pods, 0);
    await writeFile(join(configDir, "pod.yaml"), POD);
    const until = Date.now() + 10_000;
    while ((await status(port)).body.snapshot.pods !== 1) {
      assert.ok(Date.now() < until, "pod not picked up");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await status(port, "/healthz/ready")).code, 200);
    assert.equal((await status(port, "/debug/syncz")).body.streams.length, 0);
    assert.equal((await status(port, "/nope")).code, 404);
    const post = await fetch(`http://127.0.0.1:${port}/status`, { method: "POST" });
    assert.equal(post.status, 405);
  } finally {
    await app.stop(100);
    await app.stop(100); // idempotent
    await rm(dir, { recursive: true, force: true });
  }
});

const WAYPOINT = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: app}
spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
---
apiVersion: v1
kind: Service
metadata: {name: waypoint, namespace: app}
spec: {selector: {gateway.networking.k8s.io/gateway-name: waypoint}, clusterIP: 10.96.9.1, ports: [{name: mesh, port: 15008}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: web}, clusterIP: 10.96.1.1, ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: other, namespace: team}
spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
`;
const WAYPOINT_POD = waypointPodYaml("Running", "waypoint-waypoint", "waypoint", "app");

interface WaypointJson {
  readonly name: string;
  readonly namespace: string;
  readonly for: string;
  readonly address: string | null;
  readonly services: readonly string[];
  readonly conditions: readonly { type: string; status: string; reason: string; message: string }[];
}

test("app: GET /waypoints lists waypoint Gateways with conditions; Programmed once the pod runs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cp-app-"));
  const configDir = join(dir, "config");
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, "waypoint.yaml"), WAYPOINT);
  const app = await startOnLoopback(dir, configDir);
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${app.statusPort ?? 0}${path}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json");
    return (await r.json()) as WaypointJson[];
  };
  try {
    const all = await get("/waypoints");
    assert.deepEqual(
      all.map((w) => [w.namespace, w.name, w.for, w.address]),
      [
        ["app", "waypoint", "service", "10.96.9.1"],
        ["team", "other", "service", null],
      ],
    );
    const [wp] = await get("/waypoints?namespace=app");
    assert.deepEqual(wp?.services, ["app/web"]);
    assert.deepEqual(
      wp?.conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ["Accepted", "True", "Accepted"],
        ["Programmed", "False", "Pending"],
      ],
    );
    assert.ok(wp?.conditions.every((c) => typeof c.message === "string" && c.message.length > 0));
    await writeFile(join(configDir, "pod.yaml"), WAYPOINT_POD);
    const until = Date.now() + 10_000;
    while ((await get("/waypoints?namespace=app"))[0]?.conditions[1]?.status !== "True") {
      assert.ok(Date.now() < until, "Programmed never became True");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await get("/waypoints?namespace=nowhere"), []);
  } finally {
    await app.stop(100);
    await rm(dir, { recursive: true, force: true });
  }
});

test("app: a taken xDS port fails the start and leaves nothing running", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cp-app-"));
  const cfg = { configDir: join(dir, "config"), stateDir: dir, listenHost: "127.0.0.1", listenPort: 0 };
  const first = await startControlPlane(cfg);
  try {
    await assert.rejects(startControlPlane({ ...cfg, listenPort: first.xdsPort }), /bind 127\.0\.0\.1/);
  } finally {
    await first.stop(100);
    await rm(dir, { recursive: true, force: true });
  }
});

test("servingSans: the listen IP and loopback; a wildcard listen adds every local address", () => {
  const one = servingSans({ configDir: "", stateDir: "", listenHost: "10.250.0.2", listenPort: 15012 });
  assert.ok(one.ips.includes("10.250.0.2") && one.ips.includes("127.0.0.1"));
  assert.ok(one.dnsNames.includes("localhost"));
  const any = servingSans({ configDir: "", stateDir: "", listenHost: "0.0.0.0", listenPort: 15012 });
  assert.ok(!any.ips.includes("0.0.0.0"));
  assert.ok(any.ips.includes("127.0.0.1"));
});
