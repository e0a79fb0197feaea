import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { AuthError, type AuthErrorCode } from "./auth-error.js";
import { createLocalNodeAuthenticator } from "./local-node-authenticator.js";
import { createNodeCredential, nodeCredentialPath, removeNodeCredential } from "./node-credential-store.js";

function md(entries: Record<string, string | string[]>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) for (const x of [v].flat()) m.add(k, x);
  return m;
}

function rejectsWith(fn: () => unknown, code: AuthErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof AuthError && e.code === code && e.grpcCode === 16);
}

describe("local node authenticator", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-auth-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("stores only a hash, mode 0600 in a 0700 directory", async () => {
    const cred = await createNodeCredential(dir, "node-a");
    const path = nodeCredentialPath(dir, "node-a");
    const text = await readFile(path, "utf8");
    assert.ok(!text.includes(cred.token));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "node-credentials"))).mode & 0o777, 0o700);
    assert.equal(Buffer.from(cred.token, "base64url").length, 32);
  });

  it("accepts the right token for the right node", async () => {
    const cred = await createNodeCredential(dir, "node-b");
    const auth = createLocalNodeAuthenticator(dir);
    const caller = auth.authenticate(md({ authorization: `Bearer ${cred.token}`, "x-ambit-node": "node-b" }));
    assert.deepEqual(caller, { node: "node-b", method: "bootstrap-token" });
  });

  it("table: every bad credential is UNAUTHENTICATED with its code", async () => {
    const a = await createNodeCredential(dir, "node-c");
    const b = await createNodeCredential(dir, "node-d");
    const auth = createLocalNodeAuthenticator(dir);
    const cases: [string, Record<string, string | string[]>, AuthErrorCode][] = [
      ["no metadata", {}, "missing_credentials"],
      ["no node header", { authorization: `Bearer ${a.token}` }, "missing_credentials"],
      ["no token", { "x-ambit-node": "node-c" }, "missing_credentials"],
      [
        "not bearer",
        { authorization: `Basic ${a.token}`, "x-ambit-node": "node-c" },
        "malformed_credentials",
      ],
      ["short token", { authorization: "Bearer abc", "x-ambit-node": "node-c" }, "malformed_credentials"],
      [
        "repeated node header",
        { authorization: `Bearer ${a.token}`, "x-ambit-node": ["node-c", "node-d"] },
        "malformed_credentials",
      ],
      [
        "path in node name",
        { authorization: `Bearer ${a.token}`, "x-ambit-node": "../x" },
        "malformed_credentials",
      ],
      ["unknown node", { authorization: `Bearer ${a.token}`, "x-ambit-node": "node-zz" }, "unknown_node"],
      [
        "other node's token",
        { authorization: `Bearer ${b.token}`, "x-ambit-node": "node-c" },
        "invalid_token",
      ],
      [
        "forged token",
        { authorization: `Bearer ${"A".repeat(43)}`, "x-ambit-node": "node-c" },
        "invalid_token",
      ],
    ];
    for (const [name, entries, code] of cases) {
      await it(name, () => rejectsWith(() => auth.authenticate(md(entries)), code));
    }
  });

  it("re-reads records on change: rotation, removal, corruption", async () => {
    const auth = createLocalNodeAuthenticator(dir);
    const first = await createNodeCredential(dir, "node-e");
    const call = (t: string) =>
      auth.authenticate(md({ authorization: `Bearer ${t}`, "x-ambit-node": "node-e" }));
    assert.equal(call(first.token).node, "node-e");
    const second = await createNodeCredential(dir, "node-e");
    rejectsWith(() => call(first.token), "invalid_token");
    assert.equal(call(second.token).node, "node-e");
    await writeFile(nodeCredentialPath(dir, "node-e"), "{not json");
    rejectsWith(() => call(second.token), "unknown_node");
    await removeNodeCredential(dir, "node-e");
    rejectsWith(() => call(second.token), "unknown_node");
    await removeNodeCredential(dir, "node-e"); // idempotent
  });

  it("refuses to create credentials for names that are not DNS subdomains", async () => {
    for (const bad of ["", "../etc", "Node", "a/b", "-a"]) {
      await assert.rejects(createNodeCredential(dir, bad), (e: unknown) => {
        return e instanceof AuthError && e.code === "invalid_node_name";
      });
    }
  });
});
