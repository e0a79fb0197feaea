/**
 * The waypoint against the REAL control plane, run as its own process (apps never import each
 * other): a Gateway of class istio-waypoint, a Service bound with `istio.io/use-waypoint`, its
 * backend pod and the waypoint pod on node-1. startWaypoint is unready until the node token
 * exists, then gets `spiffe://cluster.local/ns/demo/sa/waypoint` from the CA and its
 * `demo/waypoint` config over delta ADS; a config change arrives; the main as a child process
 * drains and exits 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  killMains,
  logLine,
  type MainProcess,
  startMain,
  stopMain,
  waitFor,
  writeTestNodeToken,
} from "@ambit/testing";
import { startWaypoint, type WaypointApp } from "./app.js";
import type { AccessLogRecord } from "./telemetry/access-log.js";
import { demoWaypointProcessConfig } from "./testdata/demo-waypoint.js";

const CONFIG = `apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: demo, labels: {istio.io/waypoint-for: service}}
spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
---
apiVersion: v1
kind: Service
metadata: {name: waypoint, namespace: demo}
spec:
  selector: {gateway.networking.k8s.io/gateway-name: waypoint}
  clusterIP: 10.96.0.20
  ports: [{name: mesh, port: 15008}, {name: status-port, port: 15021}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: demo, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: reviews}, clusterIP: 10.96.0.10, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: demo, uid: uid-reviews, labels: {app: reviews}}
spec: {serviceAccountName: reviews, nodeName: node-1}
status: {phase: Running, podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata:
  name: waypoint-waypoint
  namespace: demo
  uid: uid-waypoint
  labels: {gateway.networking.k8s.io/gateway-name: waypoint, istio.io/dataplane-mode: none}
spec: {serviceAccountName: waypoint, nodeName: node-1}
status: {phase: Running, podIP: 10.244.1.9}
`;

const RATINGS = `apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: demo, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: ratings}, clusterIP: 10.96.0.11, ports: [{name: http, port: 9080}]}
`;

/** Start-ups of two processes from sources on a loaded box. */
const wait = <T>(what: string, poll: () => Promise<T | undefined> | T | undefined) =>
  waitFor(what, poll, { timeoutMs: 30_000 });

interface Dump {
  config: {
    version?: string;
    config?: {
      listeners: { hostname: string; addresses: string[] }[];
      backends?: { hostname: string; endpoints?: { address: string }[] }[];
    };
  };
  certificates: { identity: string; state: string }[];
}

describe("waypoint with the real control plane", () => {
  let dir: string;
  let cp: MainProcess | undefined;
  let wpProc: MainProcess | undefined;
  let app: WaypointApp | undefined;
  let xdsAddress: string;
  const logs: AccessLogRecord[] = [];
  const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
  const dump = async (): Promise<Dump> =>
    (await (await fetch(url(app?.ports.admin ?? 0, "/config_dump"))).json()) as Dump;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-wp-proc-"));
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "demo.yaml"), CONFIG);
    cp = startMain("packages/control-plane/src/main.ts", [
      ...["--config-dir", join(dir, "config"), "--state-dir", dir, "--listen", "127.0.0.1:0"],
    ]);
    const ready = await wait("control plane ready", () =>
      logLine(cp as MainProcess, '"control plane ready"'),
    );
    xdsAddress = String(ready["listen"]);
  });
  after(async () => {
    await app?.stop();
    killMains(wpProc, cp);
    await rm(dir, { recursive: true, force: true });
  });

  it("is unready (503) until it has a certificate and its config, then ready (200)", async () => {
    app = await startWaypoint(
      demoWaypointProcessConfig({
        xdsAddress,
        caAddress: xdsAddress,
        rootCertPath: join(dir, "ca", "root-cert.pem"),
        tokenFile: join(dir, "nodes", "node-1", "node-token"),
        podIp: "10.244.1.9",
        accessLog: (r) => logs.push(r),
      }),
    );
    const before = await fetch(url(app.ports.readiness, "/healthz/ready"));
    assert.equal(before.status, 503);
    assert.match(await before.text(), /node token/);
    await writeTestNodeToken(dir, "node-1");
    const a = app;
    await wait("ready", async () =>
      (await fetch(url(a.ports.readiness, "/healthz/ready"))).ok ? true : undefined,
    );
    const d = await dump();
    assert.deepEqual(
      d.certificates.map((c) => [c.identity, c.state]),
      [["spiffe://cluster.local/ns/demo/sa/waypoint", "available"]],
    );
  });

  it("/config_dump shows the listener of the bound service and its endpoint", async () => {
    const d = await dump();
    assert.deepEqual(
      d.config.config?.listeners.map((l) => [l.hostname, l.addresses]),
      [["reviews.demo.svc.cluster.local", ["10.96.0.10"]]],
    );
    const reviews = d.config.config?.backends?.find((b) => b.hostname === "reviews.demo.svc.cluster.local");
    assert.deepEqual(
      reviews?.endpoints?.map((e) => e.address),
      ["10.244.1.5"],
    );
  });

  it("receives a config change (a second service bound to the waypoint)", async () => {
    const v1 = (await dump()).config.version;
    await writeFile(join(dir, "config", "ratings.yaml"), RATINGS);
    const d = await wait("ratings listener", async () => {
      const x = await dump();
      return (x.config.config?.listeners.length ?? 0) === 2 ? x : undefined;
    });
    assert.notEqual(d.config.version, v1);
    assert.deepEqual(d.config.config?.listeners.map((l) => l.hostname).sort(), [
      "ratings.demo.svc.cluster.local",
      "reviews.demo.svc.cluster.local",
    ]);
    await app?.stop();
    app = undefined;
  });

  it("the main process becomes ready and exits 0 on SIGTERM; so does the control plane", async () => {
    wpProc = startMain("packages/waypoint/src/main.ts", [
      ...["--name", "waypoint", "--namespace", "demo", "--node", "node-1", "--state-dir", dir],
      ...["--xds-address", xdsAddress, "--pod-name", "waypoint-waypoint", "--pod-ip", "10.244.1.9"],
      ...["--hbone-port", "0", "--admin-port", "0", "--metrics-port", "0", "--readiness-port", "0"],
    ]);
    const p = wpProc;
    const started = await wait("waypoint started", () => logLine(p, '"waypoint started"'));
    const readiness = Number(started["readiness"]);
    await wait("main ready", async () =>
      (await fetch(url(readiness, "/healthz/ready"))).ok ? true : undefined,
    );
    const m = await fetch(url(Number(started["metrics"]), "/stats/prometheus"));
    assert.equal(m.status, 200);
    assert.equal(await stopMain(p), 0, p.log.slice(-2000));
    assert.match(p.log, /"draining"/);
    if (cp) assert.equal(await stopMain(cp), 0, cp.log.slice(-2000));
  });
});
