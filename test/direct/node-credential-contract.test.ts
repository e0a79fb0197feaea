/**
 * The node credential written by the local runtime (which may not import the control plane) is
 * accepted by the control plane's authenticator, and a rotated token replaces the old one.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NODE_AUTHORIZATION_HEADER, NODE_NAME_HEADER } from "@ambit/api";
import { createLocalNodeAuthenticator } from "@ambit/control-plane";
import { nodeTokenPath, writeNodeCredential } from "@ambit/local";
import { Metadata } from "@grpc/grpc-js";

function md(node: string, token: string): Metadata {
  const m = new Metadata();
  m.set(NODE_AUTHORIZATION_HEADER, `Bearer ${token}`);
  m.set(NODE_NAME_HEADER, node);
  return m;
}

test("local node credential ⇄ control-plane LocalNodeAuthenticator", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ambit-cred-"));
  try {
    writeNodeCredential(dir, "node-1");
    const file = nodeTokenPath(dir, "node-1");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, "utf8").trim();
    const auth = createLocalNodeAuthenticator(dir);
    assert.deepEqual(auth.authenticate(md("node-1", token)), { node: "node-1", method: "bootstrap-token" });
    assert.throws(() => auth.authenticate(md("node-2", token)), /no credential for node node-2/);
    writeNodeCredential(dir, "node-1");
    assert.throws(() => auth.authenticate(md("node-1", token)), /token does not match/);
    const rotated = readFileSync(file, "utf8").trim();
    assert.equal(auth.authenticate(md("node-1", rotated)).node, "node-1");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
