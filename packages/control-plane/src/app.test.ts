import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { rootCertPath, servingSans, startControlPlane } from "./app.js";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, uid: u1}
spec: {serviceAccountName: sa, nodeName: node-a}
status: {phase: Running, podIP: 10.1.0.5}
`;

interface StatusBody {
  readonly snapshot: { readonly pods: number };
  readonly streams: readonly unknown[];
}

async function status(port: number, path = "/status"): Promise<{ code: number; body: StatusBody }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { code: r.status, body: (await r.json()) as StatusBody };
}

test("app: a missing config dir is an empty mesh; files written later are picked up", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cp-app-"));
  const configDir = join(dir, "config", "not-yet");
  const app = await startControlPlane({
    configDir,
    stateDir: dir,
    listenHost: "127.0.0.1",
    listenPort: 0,
    statusPort: 0,
    debounceMs: 10,
  });
  try {
    assert.ok(existsSync(rootCertPath(dir)));
    assert.equal(app.rootCertPath, rootCertPath(dir));
    const port = app.statusPort ?? 0;
    assert.equal((await status(port)).body.snapshot.pods, 0);
    await writeFile(join(configDir, "pod.yaml"), POD);
    const until = Date.now() + 10_000;
    while ((await status(port)).body.snapshot.pods !== 1) {
      assert.ok(Date.now() < until, "pod not picked up");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await status(port, "/healthz/ready")).code, 200);
    assert.equal((await status(port, "/debug/syncz")).body.streams.length, 0);
    assert.equal((await status(port, "/nope")).code, 404);
    const post = await fetch(`http://127.0.0.1:${port}/status`, { method: "POST" });
    assert.equal(post.status, 405);
  } finally {
    await app.stop(100);
    await app.stop(100); // idempotent
    await rm(dir, { recursive: true, force: true });
  }
});

test("app: a taken xDS port fails the start and leaves nothing running", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cp-app-"));
  const cfg = { configDir: join(dir, "config"), stateDir: dir, listenHost: "127.0.0.1", listenPort: 0 };
  const first = await startControlPlane(cfg);
  try {
    await assert.rejects(startControlPlane({ ...cfg, listenPort: first.xdsPort }), /bind 127\.0\.0\.1/);
  } finally {
    await first.stop(100);
    await rm(dir, { recursive: true, force: true });
  }
});

test("servingSans: the listen IP and loopback; a wildcard listen adds every local address", () => {
  const one = servingSans({ configDir: "", stateDir: "", listenHost: "10.250.0.2", listenPort: 15012 });
  assert.ok(one.ips.includes("10.250.0.2") && one.ips.includes("127.0.0.1"));
  assert.ok(one.dnsNames.includes("localhost"));
  const any = servingSans({ configDir: "", stateDir: "", listenHost: "0.0.0.0", listenPort: 15012 });
  assert.ok(!any.ips.includes("0.0.0.0"));
  assert.ok(any.ips.includes("127.0.0.1"));
});
