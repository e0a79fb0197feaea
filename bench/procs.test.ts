import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import {
  groupCpuSeconds,
  groupMembers,
  groupPeakRssMiB,
  parseProcStat,
  parseVmHwmKiB,
  sleep,
  stopGroup,
} from "./procs.js";

describe("parseProcStat", () => {
  it("reads pid, ppid, pgrp and CPU times even when comm has spaces and parens", () => {
    const line = "1234 (nginx: worker (x)) S 1000 1000 1000 0 -1 4194560 0 0 0 0 17 5 3 2 20 0 1 0 100 0 0";
    assert.deepEqual(parseProcStat(line), {
      pid: 1234,
      state: "S",
      ppid: 1000,
      pgrp: 1000,
      utime: 17,
      stime: 5,
      cutime: 3,
      cstime: 2,
    });
  });
  it("rejects garbage", () => {
    assert.equal(parseProcStat("no parens here"), undefined);
    assert.equal(parseProcStat("1 (x) S"), undefined);
  });
});

describe("parseVmHwmKiB", () => {
  it("reads VmHWM in KiB", () => {
    assert.equal(parseVmHwmKiB("Name:\tnginx\nVmPeak:\t  9000 kB\nVmHWM:\t   5120 kB\n"), 5120);
    assert.equal(parseVmHwmKiB("Name:\tkthreadd\n"), undefined);
  });
});

describe("process groups", () => {
  it("measures and stops a forking group, children included", async () => {
    // A shell leader with a busy child, in its own group (as the bench spawns proxies). The child
    // stops by itself after 5 s even if this test dies before cleaning up.
    const script = "(end=$(($(date +%s)+5)); while [ $(date +%s) -lt $end ]; do :; done) & sleep 5";
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    const pgid = child.pid!;
    try {
      await sleep(400);
      assert.ok(groupMembers(pgid).length >= 2, "leader and forked child");
      assert.ok(groupCpuSeconds(pgid) > 0.02, "busy child's CPU is counted");
      assert.ok(groupPeakRssMiB(pgid) > 0);
      await stopGroup({ pid: pgid }, 500);
      assert.equal(groupMembers(pgid).length, 0);
    } finally {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
});
