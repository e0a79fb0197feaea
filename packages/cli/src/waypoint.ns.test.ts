import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { runCli } from "./cli.js";
import type { Io } from "./context.js";
import type { WaypointRow } from "./waypoint-view.js";

const root = new URL("../../..", import.meta.url).pathname;
/** A stand-in waypoint main (answers :15021) keeps this test about the CLI, not the waypoint. */
const STUB = join(root, "packages/local/src/runtime/testdata/waypoint-stub-main.mjs");

function capture(): Io & { text: () => string; errText: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), text: () => out, errText: () => err };
}

/**
 * `ambit waypoint apply|list|status|delete` through the real CLI, daemon and control plane (from
 * sources; its `/waypoints` gives the conditions), one node, ztunnel and node agent not needed.
 */
describe("ambit waypoint against a real cluster", () => {
  const id = `q${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "ambit-cli-wp-"));
  const stateDir = join(dir, "state");
  const manifest = join(dir, "app.yaml");
  writeFileSync(
    manifest,
    `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: blue}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`,
  );
  process.env["AMBIT_CONTROL_PLANE_MAIN"] = join(root, "packages/control-plane/src/main.ts");
  process.env["AMBIT_WAYPOINT_MAIN"] = STUB;
  for (const app of ["ZTUNNEL", "NODE_AGENT"]) process.env[`AMBIT_${app}_MAIN`] = "/nonexistent/main.js";
  const cli = async (...argv: string[]) => {
    const io = capture();
    const code = await runCli(["--state-dir", stateDir, ...argv], io);
    return { code, out: io.text(), err: io.errText() };
  };

  before(async () => {
    // The daemon (and through it the control plane) runs from sources.
    const saved = process.env["NODE_OPTIONS"];
    process.env["NODE_OPTIONS"] = `--conditions=source --import ${import.meta.resolve("tsx")}`;
    try {
      const r = await cli("up", "--nodes", "1", "--cluster-id", id, "-f", manifest);
      assert.equal(r.code, 0, r.out + r.err);
    } finally {
      if (saved === undefined) delete process.env["NODE_OPTIONS"];
      else process.env["NODE_OPTIONS"] = saved;
    }
  });

  after(async () => {
    await cli("down");
    rmSync(dir, { recursive: true, force: true });
  });

  it("apply --enroll-namespace --wait: Gateway applied, namespace labelled (other labels kept), Programmed", async () => {
    const r = await cli("waypoint", "apply", "-n", "shop", "--enroll-namespace", "--wait");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /waypoint shop\/waypoint applied/);
    assert.match(r.out, /namespace shop labeled with "istio.io\/use-waypoint=waypoint"/);
    assert.match(r.out, /waypoint shop\/waypoint programmed: address 10\.96\.0\.\d+/);
    const ns = parse(readFileSync(join(stateDir, "config", "namespace--_--shop.yaml"), "utf8"));
    assert.deepEqual(ns.metadata.labels, { team: "blue", "istio.io/use-waypoint": "waypoint" });
  });

  it("list and status merge the control plane's conditions with the pod and process", async () => {
    const j = await cli("waypoint", "list", "-n", "shop", "-o", "json");
    assert.equal(j.code, 0, j.out + j.err);
    const [row] = JSON.parse(j.out) as WaypointRow[];
    assert.ok(row?.local);
    assert.deepEqual(
      [row.namespace, row.name, row.for, row.local.pod, row.local.node, row.local.state],
      ["shop", "waypoint", "service", "waypoint-waypoint", "node-1", "running"],
    );
    assert.deepEqual(row.services, ["shop/web"]);
    assert.equal(row.conditions.find((c) => c.type === "Programmed")?.status, "True");
    assert.match(row.address, /^10\.96\.0\.\d+$/);
    const t = await cli("waypoint", "list", "-A");
    assert.match(
      t.out,
      /shop +waypoint +service +10\.96\.0\.\d+ +True +node-1 +10\.244\.1\.\d+ +running \((ready|alive|not ready)\)/,
    );
    const s = await cli("waypoint", "status", "-n", "shop", "--name", "waypoint");
    assert.equal(s.code, 0, s.out + s.err);
    assert.match(s.out, /shop +waypoint +Programmed +True +Programmed/);
    assert.match(s.out, /services: shop\/web/);
    const missing = await cli("waypoint", "status", "-n", "shop", "--name", "nope");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /waypoint shop\/nope not found/);
    const st = await cli("status");
    assert.match(st.out, /NAMESPACE +WAYPOINT +NODE[^\n]*\nshop +waypoint +node-1 /);
    const logs = await cli("logs", "waypoint-waypoint", "-n", "shop");
    assert.equal(logs.code, 0, logs.err);
    assert.match(
      logs.out,
      /starting waypoint-shop-waypoint: .*--name waypoint --namespace shop --node node-1/,
    );
  });

  it("delete removes the waypoint (pod, Service, process); unknown names are an error", async () => {
    const bad = await cli("waypoint", "delete", "nope", "-n", "shop");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no waypoint shop\/nope/);
    const r = await cli("waypoint", "delete", "waypoint", "-n", "shop");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /waypoint shop\/waypoint deleted/);
    assert.match(r.err, /namespace shop still has istio.io\/use-waypoint=waypoint/);
    const l = await cli("waypoint", "list", "-n", "shop");
    assert.equal(l.out, "no waypoints found\n");
    const cfg = readdirSync(join(stateDir, "config"));
    assert.deepEqual(
      cfg.filter((f) => f.includes("waypoint")),
      [],
    );
  });
});
