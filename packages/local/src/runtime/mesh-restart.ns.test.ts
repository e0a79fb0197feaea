import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { nodeInNetns, waitFor } from "@ambit/testing";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { resolveComponentMain } from "./components.js";
import { LocalRuntime } from "./local-runtime.js";
import type { ClusterStatus } from "./status.js";

const SERVER = `require("node:http").createServer((q, r) => r.end("ok " + process.env.POD_NAME)).listen(8080)`;
const GET = `require("node:http").get(process.argv[1], { timeout: 3000, agent: false }, (r) => { let b = ""; r.on("data", (c) => b += c); r.on("end", () => process.stdout.write(b)); }).on("error", (e) => process.stdout.write("ERR " + (e.code || e.message))).on("timeout", function () { this.destroy(new Error("timeout")); });`;

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: mesh, labels: {app: server}}
spec:
  nodeName: node-2
  serviceAccountName: server
  containers: [{name: s, command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: mesh}
spec:
  nodeName: node-1
  containers: [{name: c, command: [sleep, "600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: mesh}
spec: {selector: {app: server}, ports: [{port: 80, targetPort: 8080}]}
`;

const get = (netns: string, url: string): string => nodeInNetns(netns, GET, [url]);

/** Polls `fn` every 250 ms; its errors fail the test at once. */
const until = <T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> =>
  waitFor(what, fn, { timeoutMs: ms, intervalMs: 250, onError: "throw" });

describe("local mode with the real mesh: component restarts", () => {
  const id = `m${randomBytes(3).toString("hex")}`;
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-mesh-"));
  const rt = LocalRuntime.open({
    stateDir,
    clusterId: id,
    nodes: 2,
    backoff: { initialMs: 200, maxMs: 2000, factor: 2, resetAfterMs: 5000 },
  });
  let clientNs = "";

  before(async () => {
    for (const app of ["control-plane", "ztunnel", "node-agent"] as const) {
      const m = resolveComponentMain(app);
      assert.ok(
        m.available,
        `this test needs every component built (npm run build): ${m.available ? "" : m.reason}`,
      );
    }
    await rt.up(parseManifestText(MANIFESTS, join(stateDir, "m.yaml")));
    const s = await until("pods enrolled", 30_000, async () => {
      const st = await rt.status();
      return st.pods.length === 2 && st.pods.every((p) => p.enrolled === "yes") ? st : undefined;
    });
    clientNs = s.pods.find((p) => p.name === "client")?.netns ?? "";
    await until("first request through the mesh", 20_000, async () =>
      get(clientNs, "http://server.mesh/").startsWith("ok server") ? true : undefined,
    );
  });

  after(async () => {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const component = (s: ClusterStatus, name: string) => s.components.find((c) => c.name === name);

  it("a killed node agent is restarted and traffic keeps flowing meanwhile", async () => {
    const agent = component(await rt.status(), "node-agent-node-1");
    assert.ok(agent?.pid !== undefined);
    process.kill(agent.pid, "SIGKILL");
    for (let i = 0; i < 5; i++) assert.match(get(clientNs, "http://server.mesh/"), /^ok server/);
    await until("node agent restarted", 10_000, async () => {
      const c = component(await rt.status(), "node-agent-node-1");
      return c?.restarts === 1 && c.state === "running" ? true : undefined;
    });
    assert.match(get(clientNs, "http://server.mesh/"), /^ok server/);
  });

  it("a killed ztunnel is restarted and every pod of its node works again", async () => {
    const zt = component(await rt.status(), "ztunnel-node-1");
    assert.ok(zt?.pid !== undefined);
    process.kill(zt.pid, "SIGKILL");
    const s = await until("ztunnel restarted and ready", 20_000, async () => {
      const st = await rt.status();
      const c = component(st, "ztunnel-node-1");
      return c?.restarts === 1 && c.health === "ready" ? st : undefined;
    });
    assert.notEqual(component(s, "ztunnel-node-1")?.pid, zt.pid);
    await until("traffic from node-1 again", 20_000, async () =>
      get(clientNs, "http://server.mesh/").startsWith("ok server") ? true : undefined,
    );
    const st = await rt.status();
    assert.ok(
      st.pods.every((p) => p.enrolled === "yes"),
      JSON.stringify(st.pods),
    );
  });
});
