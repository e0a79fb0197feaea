/**
 * ztunnel as a real process without pods (`--no-inpod`): it waits for its bootstrap files
 * (unready with a reason), then syncs xDS from the real control-plane process, prefetches the
 * certificate of the workload on its node, and serves /config_dump, /logging, /metrics and
 * /healthz/ready; SIGTERM stops both processes cleanly.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeNodeCredential } from "@ambit/local";
import { killMains, logLine, type MainProcess, startMain, stopMain, waitFor } from "@ambit/testing";

const CONFIG = `apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: demo, uid: uid-client, labels: {app: client}}
spec: {serviceAccountName: client, nodeName: node-a}
status: {phase: Running, podIP: 10.9.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: demo, uid: uid-server, labels: {app: server}}
spec: {serviceAccountName: server, nodeName: node-b}
status: {phase: Running, podIP: 10.9.2.2}
`;

describe("ztunnel process (no pods)", () => {
  let dir: string;
  let cp: MainProcess | undefined;
  let zt: MainProcess;
  let ports: { admin: number; metrics: number; readiness: number };
  const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-zt-proc-"));
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "demo.yaml"), CONFIG);
    writeNodeCredential(dir, "node-a");
  });
  after(async () => {
    killMains(zt, cp);
    await rm(dir, { recursive: true, force: true });
  });

  it("is unready with a reason until the control plane has written its root", async () => {
    // The xDS port is not known yet: the control plane starts later on a port we pick now.
    // Below Linux's ephemeral range (32768-60999): every port-0 listener and outgoing connection of
    // the tests running in parallel lives there, and one took this port once (EADDRINUSE).
    const xdsPort = 20_000 + Math.floor(Math.random() * 12_000);
    zt = startMain("packages/ztunnel/src/main.ts", [
      ...["--node", "node-a", "--state-dir", dir, "--xds-address", `127.0.0.1:${xdsPort}`, "--no-inpod"],
      ...["--admin-port", "0", "--metrics-port", "0", "--readiness-port", "0"],
    ]);
    const started = await waitFor("ztunnel started", () => logLine(zt, '"ztunnel started"'));
    ports = {
      admin: Number(started["admin"]),
      metrics: Number(started["metrics"]),
      readiness: Number(started["readiness"]),
    };
    const r = await fetch(url(ports.readiness, "/healthz/ready"));
    assert.equal(r.status, 503);
    assert.match(await r.text(), /root certificate and node token/);
    cp = startMain("packages/control-plane/src/main.ts", [
      ...["--config-dir", join(dir, "config"), "--state-dir", dir, "--listen", `127.0.0.1:${xdsPort}`],
    ]);
  });

  it("becomes ready after the first xDS sync and holds this node's certificates", async () => {
    await waitFor("ready", async () =>
      (await fetch(url(ports.readiness, "/healthz/ready"))).ok ? true : undefined,
    );
    const dump = await waitFor("certificate", async () => {
      const d = (await (await fetch(url(ports.admin, "/config_dump"))).json()) as {
        workloads: { uid: string }[];
        certificates: { identity: string; state: string }[];
      };
      return d.certificates.some((c) => c.state === "available") ? d : undefined;
    });
    assert.deepEqual(dump.workloads.map((w) => w.uid).sort(), [
      "Kubernetes//Pod/demo/client",
      "Kubernetes//Pod/demo/server",
    ]);
    // Only the workload on node-a: the CA would refuse node-b's anyway.
    assert.deepEqual(
      dump.certificates.map((c) => [c.identity, c.state]),
      [["spiffe://cluster.local/ns/demo/sa/client", "available"]],
    );
  });

  it("serves metrics and switches the log level", async () => {
    const m = await fetch(url(ports.metrics, "/stats/prometheus"));
    assert.equal(m.status, 200);
    assert.match(await m.text(), /# TYPE istio_tcp_connections_opened_total counter/);
    const l = await fetch(url(ports.admin, "/logging?level=debug"), { method: "POST" });
    assert.deepEqual(await l.json(), { level: "debug", tracers: [] });
    const bad = await fetch(url(ports.admin, "/logging?level=loud"), { method: "POST" });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(url(ports.admin, "/nope"))).status, 404);
  });

  it("stops cleanly on SIGTERM", async () => {
    assert.equal(await stopMain(zt), 0, zt.log.slice(-2000));
    if (cp) assert.equal(await stopMain(cp), 0, cp.log.slice(-2000));
  });
});
