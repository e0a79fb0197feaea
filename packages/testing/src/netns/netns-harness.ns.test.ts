import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "./exec.js";
import { NetnsError } from "./netns-error.js";
import { NetnsHarness, useNetns, withNetns } from "./netns-harness.js";
import { removeStale } from "./remove-stale.js";
import { STATE_DIR, statePath } from "./run-state.js";
import { createTwoNodeTopology } from "./two-node-topology.js";

const nsExists = (ns: string): boolean => existsSync(`/var/run/netns/${ns}`);

test("two-node topology routes pod to pod across the bridge and nowhere else", async () => {
  await withNetns(async (h) => {
    const t = await createTwoNodeTopology(h);
    assert.match(t.podA.ns, /^amb-[0-9a-f]{4}-podA$/);
    const server = h.spawn(t.podB.ns, [
      process.execPath,
      "-e",
      "net.createServer((s) => s.end('from ' + s.remoteAddress)).listen(7000, '10.20.2.2', () => console.log('ready'))",
    ]);
    await once(server.stdout!, "data");
    const { stdout } = await h.exec(t.podA.ns, [
      process.execPath,
      "-e",
      "net.connect(7000, '10.20.2.2').on('data', (d) => process.stdout.write(d))",
    ]);
    assert.equal(stdout, "from 10.20.1.2");
    // No default route on nodes: nothing can leave towards the host's real interfaces.
    await assert.rejects(h.ip(t.nodeA.ns, ["route", "get", "8.8.8.8"]), /unreachable/i);
    const r = await h.ip(t.podA.ns, ["route", "get", "8.8.8.8"]);
    assert.match(r.stdout, /via 10\.20\.1\.1 dev eth0/, "a pod's only way out is its node");
  });
});

test("cleanup removes everything even when the test body throws", async () => {
  let prefix = "";
  let names: string[] = [];
  await assert.rejects(
    withNetns(async (h) => {
      prefix = h.prefix;
      names = [await h.addNamespace("x1"), await h.addNamespace("x2")];
      assert.ok(names.every(nsExists));
      assert.ok(existsSync(statePath(prefix)));
      throw new Error("body failed");
    }),
    /body failed/,
  );
  assert.equal(names.length, 2);
  assert.ok(!names.some(nsExists), "namespaces removed");
  assert.ok(!existsSync(statePath(prefix)), "state file removed");
});

test("cleanup kills spawned processes and a closed harness refuses new work", async () => {
  const h = await NetnsHarness.create();
  const ns = await h.addNamespace("k");
  const child = h.spawn(ns, ["sleep", "30"]);
  await h.cleanup();
  assert.equal(child.signalCode, "SIGKILL");
  await assert.rejects(
    h.addNamespace("late"),
    (e: unknown) => e instanceof NetnsError && e.code === "closed",
  );
});

test("failed commands reject with the command line and stderr", async () => {
  await withNetns(async (h) => {
    const ns = await h.addNamespace("e");
    await assert.rejects(h.addAddress(ns, "nodev0", "10.1.1.1/24"), (e: unknown) => {
      assert.ok(e instanceof NetnsError);
      assert.equal(e.code, "command_failed");
      assert.match(e.message, /ip -n amb-[0-9a-f]{4}-e addr add 10\.1\.1\.1\/24 dev nodev0: .*nodev0/);
      return true;
    });
    assert.throws(() => h.name("bad name"), /bad namespace role/);
    await assert.rejects(h.addBridge(ns, "a-very-long-bridge-name"), /bad interface name/);
  });
});

test("removeStale removes leftovers of dead runs and keeps live ones", async () => {
  await withNetns(async (live) => {
    const mine = await live.addNamespace("live");
    // A dead run: a state file whose owner pid does not exist, plus an orphan namespace without any file.
    mkdirSync(STATE_DIR, { recursive: true });
    writeFileSync(
      statePath("amb-dead-"),
      JSON.stringify({ prefix: "amb-dead-", pid: 1, startTime: "0", namespaces: [], links: [] }),
    );
    await run("ip", ["netns", "add", "amb-dead-n1"]);
    await run("ip", ["netns", "add", "amb-0b0e-orphan"]);
    const removed = await removeStale();
    assert.ok(removed.includes("amb-dead-n1"));
    assert.ok(!nsExists("amb-dead-n1"));
    assert.ok(removed.includes("amb-0b0e-orphan"));
    assert.ok(!nsExists("amb-0b0e-orphan"));
    assert.ok(!existsSync(statePath("amb-dead-")));
    assert.ok(nsExists(mine), "a live run's namespace survives");
  });
});

test("SIGTERM to a process with a live harness removes its namespaces", async () => {
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      fileURLToPath(new URL("testdata/sigterm-child.ts", import.meta.url)),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  const ns = line.toString().trim();
  assert.ok(nsExists(ns));
  child.kill("SIGTERM");
  const [, signal] = (await once(child, "exit")) as [number | null, string | null];
  assert.equal(signal, "SIGTERM");
  assert.ok(!nsExists(ns), `namespace ${ns} removed on SIGTERM`);
});

test("useNetns removes its namespaces when the test ends", async (t) => {
  let name = "";
  await t.test("inner", async (inner) => {
    const h = await useNetns(inner);
    name = await h.addNamespace("u");
    assert.ok(nsExists(name));
  });
  assert.ok(name !== "" && !nsExists(name));
});
