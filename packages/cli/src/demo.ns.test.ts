import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { liveDaemon, resolveComponentMain, statePaths } from "@ambit/local";
import { pidAlive, waitFor } from "@ambit/testing";
import {
  assertProcessesGone,
  clusterNetnsInodes,
  hostView,
  processesInNetns,
} from "../../local/src/testdata/host-residue.js";
import { cmdDown } from "./commands.js";
import type { Io } from "./context.js";
import { runDemo } from "./demo.js";
import { cmdZc } from "./zc.js";

describe("ambit demo, end to end with the real mesh components", () => {
  const id = `d${randomBytes(3).toString("hex")}`;
  const prefix = `ambit-${id}-`;
  const dir = mkdtempSync(join(tmpdir(), "ambit-demo-"));
  const paths = statePaths(join(dir, "state"));
  let out = "";
  const io: Io = { out: (t) => (out += t), err: (t) => (out += t) };

  after(async () => {
    await cmdDown(paths, { out: () => undefined, err: () => undefined });
    rmSync(dir, { recursive: true, force: true });
  });

  it("proves identities, a DENY with its reason and metrics, then leaves nothing behind", async () => {
    const before = hostView(prefix);
    for (const app of ["control-plane", "ztunnel", "node-agent"] as const) {
      const m = resolveComponentMain(app);
      assert.ok(
        m.available,
        `the demo needs every component built (npm run build): ${m.available ? "" : m.reason}`,
      );
    }
    try {
      await runDemo(paths, io, { nodes: 2, clusterId: id });
    } catch (e) {
      assert.fail(`demo failed: ${(e as Error).message}\n${out}`);
    }
    assert.doesNotMatch(out, /SKIPPED|NOT PROVEN|NOT ENFORCED|✗/, out);
    assert.match(out, /7\/7 pods running, 7\/7 enrolled/);
    assert.match(out, /enrolled=yes/);
    assert.match(out, /client identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep/);
    assert.match(out, /client identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/bookinfo-productpage/);
    // Hop 3 (reviews v2/v3 → ratings): the ratings side saw the reviews identity. Endpoints are
    // picked at random; the demo sends single requests after the first 6 until v2 or v3 answered
    // (all 26 reaching v1: (1/3)^26).
    assert.match(out, /reviews versions answered: .*v[23]×/);
    assert.match(
      out,
      /✓ reviews-v[23]-\S+ +→ ratings-v1-\S+ +mTLS[^\n]*\n +client identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/bookinfo-reviews\n +server identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/bookinfo-ratings\n/,
    );
    assert.match(out, /✓ sleep → ratings refused/);
    assert.match(out, /reason: denied by authorization policy/);
    assert.match(out, /productpage → reviews → ratings still allowed: yes/);
    assert.match(out, /node-1: connections_opened_total=[1-9]/);
    // The closing hints: how to inspect the running mesh and how to take it down.
    assert.match(out, /the mesh keeps running\. Inspect it:\n {2}ambit status\n/);
    assert.match(out, /\n {2}ambit zc workloads\|services\|policies\|certificates\|connections /);
    assert.match(out, /\n {2}ambit down +\(removes everything it created\)\n$/);
    let zc = "";
    const zio: Io = { out: (t) => (zc += t), err: (t) => (zc += t) };
    await cmdZc(paths, zio, "workloads", { output: "table" });
    await cmdZc(paths, zio, "certificates", { output: "table", node: "node-1" });
    assert.match(
      zc,
      /bookinfo +sleep-[0-9a-f]{5}-0 +10\.244\.\d\.\d+ +node-\d +HBONE +spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep/,
    );
    assert.match(zc, /node-1 +spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep +available/);
    // Residue, with the real components running: every process in a cluster netns (control plane,
    // ztunnels, node agents, pods) and the daemon must be gone, and the host view back as it was.
    const inodes = clusterNetnsInodes(prefix);
    assert.ok(inodes.size >= 11, `cluster, cp, 2 nodes, 7 pods: ${inodes.size}`);
    const running = processesInNetns(inodes);
    assert.ok(running.length >= 12, `cp + 2 ztunnels + 2 node agents + 7 pods: ${running.length}`);
    const daemon = liveDaemon(paths);
    assert.ok(daemon !== undefined, "the demo leaves its daemon running");
    const down = await cmdDown(paths, io);
    assert.ok(down !== undefined);
    assert.deepEqual(down.namespaces, [], "the daemon's own down removed every namespace");
    await waitFor("daemon exit", async () => (pidAlive(daemon.pid) ? undefined : true), {
      timeoutMs: 5000,
      intervalMs: 50,
    });
    assert.deepEqual(processesInNetns(inodes), [], "no process is left in a (now nameless) cluster netns");
    await assertProcessesGone(running);
    assert.deepEqual(hostView(prefix), before);
  });
});
