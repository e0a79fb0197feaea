import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type ClusterStatus, liveDaemon, statePaths } from "@ambit/local";
import { pidAlive } from "@ambit/testing";
import { hostView, processesInCluster, readdirSafe } from "../../local/src/testdata/host-residue.js";
import { runCli } from "./cli.js";
import type { Io } from "./context.js";

function capture(): Io & { text: () => string } {
  let buf = "";
  return { out: (t) => (buf += t), err: (t) => (buf += t), text: () => buf };
}

const SERVER = `require("node:http").createServer((q, r) => r.end("hello from " + process.env.POD_NAME)).listen(8080)`;

describe("ambit CLI against a real cluster", () => {
  const id = `c${randomBytes(3).toString("hex")}`;
  const prefix = `ambit-${id}-`;
  const dir = mkdtempSync(join(tmpdir(), "ambit-cli-ns-"));
  const stateDir = join(dir, "state");
  const paths = statePaths(stateDir);
  const manifest = join(dir, "app.yaml");
  writeFileSync(
    manifest,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers: [{name: hello, command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]}]
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec: {selector: {app: hello}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: sleep}
spec: {containers: [{name: sleep, command: [sleep, "600"]}]}
`,
  );
  // Deterministic: this test exercises the runtime, not the apps (which may or may not be built).
  for (const app of ["CONTROL_PLANE", "ZTUNNEL", "NODE_AGENT"])
    process.env[`AMBIT_${app}_MAIN`] = "/nonexistent/main.js";
  const cli = (...argv: string[]) => {
    const io = capture();
    return runCli(["--state-dir", stateDir, ...argv], io).then((code) => ({ code, out: io.text() }));
  };
  const before = hostView(prefix);

  after(async () => {
    await cli("down");
    rmSync(dir, { recursive: true, force: true });
  });

  it("up (twice), status, exec, logs", async () => {
    const up = await cli("up", "--nodes", "2", "--cluster-id", id, "-f", manifest);
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /ztunnel-node-1: NOT AVAILABLE/);
    assert.match(up.out, /pod default\/sleep on node-\d at 10\.244\.\d\.\d/);
    const s1 = JSON.parse((await cli("status", "-o", "json")).out) as ClusterStatus;
    const again = await cli("up", "-f", manifest);
    assert.equal(again.code, 0, again.out);
    const s2 = JSON.parse((await cli("status", "-o", "json")).out) as ClusterStatus;
    assert.deepEqual(
      s2.pods.map((p) => [p.name, p.uid, p.ip]),
      s1.pods.map((p) => [p.name, p.uid, p.ip]),
      "up is idempotent",
    );
    assert.equal(
      (await cli("up", "--nodes", "3")).code,
      1,
      "a running 2-node cluster is not silently resized",
    );
    const text = (await cli("status")).out;
    assert.match(text, /ztunnel-node-2 +node-2 +unavailable/);
    assert.match(text, /default +hello +10\.96\.0\.11 +80\/TCP +2/);
    let reply = "";
    for (let i = 0; i < 50 && !reply.startsWith("hello"); i++) {
      reply = execFileSync(
        "ip",
        ["netns", "exec", `${prefix}p-default-sleep`, "curl", "-s", "-m", "2", "http://hello/"],
        { encoding: "utf8" },
      ).toString();
      if (!reply.startsWith("hello")) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(reply, /^hello from hello-/);
    assert.equal(
      (await cli("exec", "sleep", "--", "sh", "-c", 'test "$POD_NAME" = sleep && exit 3')).code,
      3,
    );
    assert.match((await cli("logs", "sleep")).out, /ambit: starting pod:default\/sleep\/sleep/);
  });

  it("after kill -9 of the daemon and its processes, up rebuilds from the desired state", async () => {
    const before1 = JSON.parse((await cli("status", "-o", "json")).out) as ClusterStatus;
    const daemon = liveDaemon(paths);
    assert.ok(daemon !== undefined);
    const recorded = readdirSafe(paths.pidsDir).map(
      (f) => (JSON.parse(readFileSync(join(paths.pidsDir, f), "utf8")) as { pid: number }).pid,
    );
    process.kill(daemon.pid, "SIGKILL");
    for (const pid of recorded) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    const st = await cli("status");
    assert.match(st.out, /is not running \(its daemon is gone\)/);
    const up = await cli("up");
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /removing leftovers of a previous run/);
    const after1 = JSON.parse((await cli("status", "-o", "json")).out) as ClusterStatus;
    assert.deepEqual(
      after1.services.map((v) => [v.name, v.vip]),
      before1.services.map((v) => [v.name, v.vip]),
      "VIPs survive the rebuild",
    );
    assert.deepEqual(after1.pods.map((p) => p.name).sort(), before1.pods.map((p) => p.name).sort());
    let reply = "";
    for (let i = 0; i < 50 && !reply.startsWith("hello"); i++) {
      reply = execFileSync(
        "ip",
        ["netns", "exec", `${prefix}p-default-sleep`, "curl", "-s", "-m", "2", "http://hello/"],
        {
          encoding: "utf8",
        },
      );
      if (!reply.startsWith("hello")) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(reply, /^hello from hello-/);
  });

  it("after kill -9 of the daemon and every process, down leaves no residue", async () => {
    const daemon = liveDaemon(paths);
    assert.ok(daemon !== undefined);
    const recorded = readdirSafe(paths.pidsDir).map(
      (f) => (JSON.parse(readFileSync(join(paths.pidsDir, f), "utf8")) as { pid: number }).pid,
    );
    assert.ok(recorded.length >= 3);
    const inCluster = processesInCluster(prefix);
    process.kill(daemon.pid, "SIGKILL");
    for (const pid of recorded) process.kill(pid, "SIGKILL");
    // A crash also leaves processes nobody recorded: start one straight in a pod netns.
    const stray = execFileSync(
      "sh",
      ["-c", `ip netns exec ${prefix}p-default-sleep sleep 300 >/dev/null 2>&1 & echo $!`],
      {
        encoding: "utf8",
      },
    ).trim();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(hostView(prefix).netns.length >= 6, "namespaces survive the crash");
    const down = await cli("down");
    assert.equal(down.code, 0, down.out);
    const now = hostView(prefix);
    assert.deepEqual(now, before);
    for (const pid of [daemon.pid, ...recorded, ...inCluster, Number(stray)])
      assert.ok(!pidAlive(pid), `pid ${pid} survived`);
    assert.deepEqual(readdirSafe(stateDir), ["logs"]);
    assert.equal((await cli("down")).code, 0, "down is idempotent");
  });
});
