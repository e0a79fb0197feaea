import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pidAlive, useTempDirs } from "@ambit/testing";
import { listPidRecords, recordAlive } from "./pid-records.js";
import { Supervisor } from "./supervisor.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail("condition not met in time");
    await sleep(20);
  }
}

describe("Supervisor", () => {
  it("restarts a crashing process with exponentially growing delays", async () => {
    const dir = tempDir("ambit-sup-");
    const log = join(dir, "crash.log");
    const events: string[] = [];
    const sup = new Supervisor(join(dir, "pids"), (_n, ev) => events.push(ev));
    sup.ensure({
      name: "crasher",
      argv: ["sh", "-c", "echo running; exit 3"],
      env,
      logFile: log,
      restart: "always",
      backoff: { initialMs: 100, maxMs: 10_000, factor: 2, resetAfterMs: 60_000 },
    });
    const running = (): number =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => l === "running").length
        : 0;
    // Wait for the 5th run's output too: stopping right after its start line was logged killed it
    // before `sh` printed (seen on a loaded CI machine).
    await waitFor(() => (sup.status()[0]?.restarts ?? 0) >= 4 && running() >= 5, 5000);
    await sup.stop("crasher");
    const starts = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.includes("ambit: starting crasher"))
      .map((l) => Date.parse(l.split(" ")[1] ?? ""));
    assert.ok(starts.length >= 5, `expected ≥5 starts, got ${starts.length}`);
    const delays = events.flatMap((e) => {
      const m = /restarting in (\d+) ms/.exec(e);
      return m ? [Number(m[1])] : [];
    });
    assert.deepEqual(delays.slice(0, 4), [100, 200, 400, 800], "announced delays double");
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? 0));
    gaps.slice(0, 4).forEach((g, i) => {
      assert.ok(
        g >= (delays[i] ?? 0) - 5,
        `restart ${i + 1} came after ${g} ms, before its ${delays[i]} ms delay`,
      );
    });
    // Every start ran the command; only a start in the instant before stop may have been cut.
    assert.ok(
      running() === starts.length || running() === starts.length - 1,
      `${running()} runs for ${starts.length} starts`,
    );
    assert.ok(
      events.some((e) => /exit code 3/.test(e)),
      events.join("\n"),
    );
    assert.equal(sup.status().length, 0, "a stopped process is forgotten");
  });

  it("records pids, and stop ends the whole process group and removes the record", async () => {
    const dir = tempDir("ambit-sup-");
    const pidsDir = join(dir, "pids");
    const grandchild = join(dir, "gc.pid");
    const sup = new Supervisor(pidsDir);
    sup.ensure({
      name: "pod:ns/p/c",
      argv: ["sh", "-c", `sleep 30 & echo $! > ${grandchild}; wait`],
      env,
      logFile: join(dir, "p.log"),
      restart: "always",
    });
    await waitFor(() => existsSync(grandchild) && readFileSync(grandchild, "utf8").trim() !== "", 3000);
    const gc = Number(readFileSync(grandchild, "utf8"));
    const [rec] = listPidRecords(pidsDir);
    assert.ok(rec !== undefined && recordAlive(rec));
    assert.equal(rec.name, "pod:ns/p/c");
    assert.ok(pidAlive(gc));
    await sup.stop("pod:ns/p/c", 1000);
    await waitFor(() => !pidAlive(gc), 2000);
    assert.ok(!pidAlive(rec.pid));
    assert.deepEqual(listPidRecords(pidsDir), []);
  });

  it("does not restart with restart=never and reports the exit", async () => {
    const dir = tempDir("ambit-sup-");
    const sup = new Supervisor(join(dir, "pids"));
    sup.ensure({
      name: "once",
      argv: ["sh", "-c", "exit 7"],
      env,
      logFile: join(dir, "o.log"),
      restart: "never",
    });
    await waitFor(() => sup.status()[0]?.state === "exited", 3000);
    await sleep(200);
    assert.equal(sup.status()[0]?.restarts, 0);
    assert.equal(sup.status()[0]?.lastExit, "exit code 7");
  });

  it("reports a command that cannot be executed as a failed run", async () => {
    const dir = tempDir("ambit-sup-");
    const sup = new Supervisor(join(dir, "pids"));
    sup.ensure({
      name: "missing",
      argv: ["/nonexistent/cmd"],
      env,
      logFile: join(dir, "m.log"),
      restart: "never",
    });
    await waitFor(() => sup.status()[0]?.state === "exited", 3000);
    assert.match(sup.status()[0]?.lastExit ?? "", /ENOENT|exit code/);
  });
});
