import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createTestPki } from "@ambit/testing";
import { waitForNodeBootstrap } from "./node-bootstrap.js";

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) },
  };
}

test("waitForNodeBootstrap: waits for both files and a parsing root, then reads the token live", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "ambit-boot-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = { rootCertPath: join(dir, "root.pem"), tokenFile: join(dir, "token") };
  const { lines, log } = recorder();
  const pending = waitForNodeBootstrap(files, () => false, log, 10);
  await new Promise((r) => setTimeout(r, 30));
  writeFileSync(files.tokenFile, "t1\n");
  writeFileSync(files.rootCertPath, "-----BEGIN CERTIFICATE-----\nnot yet\n");
  await new Promise((r) => setTimeout(r, 30));
  writeFileSync(files.rootCertPath, (await createTestPki()).rootsPem);
  const boot = await pending;
  assert.ok(boot);
  assert.equal(new X509Certificate(boot.rootsPem).ca, true);
  assert.equal(boot.token(), "t1");
  assert.deepEqual(lines, [
    "info waiting for bootstrap files",
    "warn root certificate not usable yet; retrying",
  ]);
});

test("waitForNodeBootstrap: undefined once stopped", async () => {
  const { log } = recorder();
  const files = { rootCertPath: "/nonexistent/root.pem", tokenFile: "/nonexistent/token" };
  assert.equal(await waitForNodeBootstrap(files, () => true, log, 10), undefined);
});
