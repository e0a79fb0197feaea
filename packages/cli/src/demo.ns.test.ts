import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { resolveComponentMain, statePaths } from "@ambit/local";
import { cmdDown } from "./commands.js";
import type { Io } from "./context.js";
import { runDemo } from "./demo.js";
import { cmdZc } from "./zc.js";

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

describe("ambit demo, end to end with the real mesh components", () => {
  const id = `d${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "ambit-demo-"));
  const paths = statePaths(join(dir, "state"));
  let out = "";
  const io: Io = { out: (t) => (out += t), err: (t) => (out += t) };

  after(async () => {
    await cmdDown(paths, { out: () => undefined, err: () => undefined });
    rmSync(dir, { recursive: true, force: true });
  });

  it("proves identities, a DENY with its reason and metrics, then leaves nothing behind", async () => {
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
    assert.match(out, /7\/7 pods running/);
    assert.match(out, /enrolled=yes/);
    assert.match(out, /client identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep/);
    assert.match(out, /client identity: spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/bookinfo-productpage/);
    assert.match(out, /✓ sleep → ratings refused/);
    assert.match(out, /reason: denied by authorization policy/);
    assert.match(out, /productpage → reviews → ratings still allowed: yes/);
    assert.match(out, /node-1: connections_opened_total=[1-9]/);
    let zc = "";
    const zio: Io = { out: (t) => (zc += t), err: (t) => (zc += t) };
    await cmdZc(paths, zio, "workloads", { output: "table" });
    await cmdZc(paths, zio, "certificates", { output: "table", node: "node-1" });
    assert.match(
      zc,
      /bookinfo +sleep-[0-9a-f]{5}-0 +10\.244\.\d\.\d+ +node-\d +HBONE +spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep/,
    );
    assert.match(zc, /node-1 +spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/sleep +available/);
    const down = await cmdDown(paths, io);
    assert.ok(down !== undefined);
    assert.deepEqual(
      readdirSafe("/var/run/netns").filter((n) => n.startsWith(`ambit-${id}-`)),
      [],
    );
    assert.deepEqual(
      readdirSafe("/etc/netns").filter((n) => n.startsWith(`ambit-${id}-`)),
      [],
    );
  });
});
