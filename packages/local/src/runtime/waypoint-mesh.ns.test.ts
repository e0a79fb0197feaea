import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, waitFor } from "@ambit/testing";
import { listNetns } from "../cluster/cluster-network.js";
import { unixGetJson } from "../cluster/unix-http.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import type { ComponentApp } from "./components.js";
import { LocalRuntime } from "./local-runtime.js";
import type { ClusterStatus } from "./status.js";

const source = (app: ComponentApp): string => join(REPO_ROOT, "packages", app, "src", "main.ts");
const HAVE_MAIN = existsSync(source("waypoint"));

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/use-waypoint: waypoint}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;

/** Polls `fn` every 250 ms; its errors fail the test at once. */
const until = <T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> =>
  waitFor(what, fn, { timeoutMs: ms, intervalMs: 250, onError: "throw" });

interface MeshWaypoint {
  name: string;
  namespace: string;
  services: string[];
  conditions: { type: string; status: string }[];
}

/**
 * The real control plane and the real waypoint main (from sources, as the e2e suite runs them):
 * the runtime's pod, Service and process are enough for the waypoint to get its certificate and
 * its config, and for the control plane to call it Programmed.
 */
describe("local mode with the real control plane and waypoint main", {
  skip: !HAVE_MAIN && "packages/waypoint/src/main.ts does not exist yet",
}, () => {
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-wpmesh-"));
  const saved = process.env["NODE_OPTIONS"];
  let rt: LocalRuntime;

  before(async () => {
    // Components run from sources: the supervisor starts `node <main.ts>` with this environment.
    process.env["NODE_OPTIONS"] = `--conditions=source --import ${import.meta.resolve("tsx")}`;
    rt = LocalRuntime.open({
      stateDir,
      clusterId: `v${randomBytes(3).toString("hex")}`,
      nodes: 1,
      backoff: { initialMs: 200, maxMs: 2000, factor: 2, resetAfterMs: 10_000 },
      resolveMain: (app) =>
        app === "control-plane" || app === "waypoint"
          ? { available: true, app, path: source(app) }
          : { available: false, app, reason: "not needed by this test" },
    });
    try {
      await rt.up(parseManifestText(MANIFESTS, join(stateDir, "m.yaml")));
    } finally {
      if (saved === undefined) delete process.env["NODE_OPTIONS"];
      else process.env["NODE_OPTIONS"] = saved;
    }
  });

  after(async () => {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("the waypoint pod runs, its process answers readiness 200, the control plane reports it Programmed", async () => {
    const s = await until("waypoint ready", 45_000, async () => {
      const st: ClusterStatus = await rt.status();
      return st.waypoints[0]?.health === "ready" ? st : undefined;
    });
    const w = s.waypoints[0];
    assert.ok(w?.pid !== undefined);
    assert.deepEqual(
      [w.namespace, w.pod, w.node, w.state],
      ["shop", "waypoint-waypoint", "node-1", "running"],
    );
    assert.equal(w.detail, "readiness :15021: HTTP 200");
    assert.equal(s.pods.find((p) => p.name === "waypoint-waypoint")?.phase, "Running");
    const sock = join(stateDir, "control-plane", "status.sock");
    const wp = await until("Programmed", 15_000, async () => {
      const list = (await unixGetJson(sock, "/waypoints?namespace=shop")) as MeshWaypoint[] | undefined;
      const x = list?.find((e) => e.name === "waypoint");
      return x?.conditions.find((c) => c.type === "Programmed")?.status === "True" ? x : undefined;
    });
    assert.deepEqual(wp.services, ["shop/web"]);
  });

  it("deleting the Gateway ends the waypoint process and removes its pod", async () => {
    const w = (await rt.status()).waypoints[0];
    assert.ok(w?.pid !== undefined);
    await rt.delete(["Gateway/shop/waypoint"]);
    assert.deepEqual((await rt.status()).waypoints, []);
    assert.throws(() => process.kill(w.pid as number, 0), "the waypoint process is gone");
    assert.ok(!listNetns().includes(w.netns));
  });
});
