import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { withNetns } from "@ambit/testing";

const run = promisify(execFile);
const child = (name: string): string => fileURLToPath(new URL(`testdata/${name}`, import.meta.url));
const tsx = ["--conditions=source", "--import", "tsx"];

test("a non-root caller gets permission_denied with the capability hint, and keeps its netns", async () => {
  await withNetns(async (h) => {
    const ns = await h.addNamespace("priv");
    const { stdout } = await run(process.execPath, [...tsx, child("nonroot-child.ts"), h.path(ns)]);
    type Outcome = { code: string; errno: string; message: string };
    const out = JSON.parse(stdout) as {
      uid: number;
      sameNetns: boolean;
      listenInNetns: Outcome;
      connectInNetns: Outcome;
      markWithoutNetns: Outcome;
    };
    assert.equal(out.uid, 65534);
    for (const r of [out.listenInNetns, out.connectInNetns, out.markWithoutNetns]) {
      assert.equal(r.code, "permission_denied", JSON.stringify(r));
      assert.equal(r.errno, "EPERM");
      assert.match(r.message, /needs CAP_NET_ADMIN \/ CAP_SYS_ADMIN \(run as root\)/);
    }
    assert.match(out.listenInNetns.message, new RegExp(`listen in netns ${h.path(ns)} on 127\\.0\\.0\\.1:0`));
    assert.match(out.listenInNetns.message, /\[EPERM in setns\]/);
    assert.match(out.markWithoutNetns.message, /\[EPERM in setsockopt\(SO_MARK\)\]/);
    assert.equal(out.sameNetns, true);
  });
});

test("calls that run out of fds half-way through the netns switch still return the thread home", async () => {
  await withNetns(async (h) => {
    const ns = await h.addNamespace("emfile");
    const { stdout } = await run("prlimit", [
      "--nofile=200",
      process.execPath,
      ...tsx,
      child("emfile-child.ts"),
      h.path(ns),
    ]);
    const { outcomes, sameNetns } = JSON.parse(stdout) as {
      outcomes: Record<string, number>;
      sameNetns: boolean;
    };
    // Each failure point is hit: before the switch, inside the target netns (socket()), and success.
    assert.ok((outcomes["EMFILE in open(/proc/thread-self/ns/net)"] ?? 0) > 0, JSON.stringify(outcomes));
    assert.ok((outcomes["EMFILE in socket"] ?? 0) > 0, JSON.stringify(outcomes));
    assert.ok((outcomes["ok"] ?? 0) > 0, JSON.stringify(outcomes));
    assert.equal(sameNetns, true);
  });
});
