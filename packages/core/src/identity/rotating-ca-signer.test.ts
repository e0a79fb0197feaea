import assert from "node:assert/strict";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeIdentity } from "@ambit/api";
import { createTestPki, startTestCaServer, type TestCaServer } from "@ambit/testing";
import { CertificateError } from "./certificate-error.js";
import { createWorkloadCsr } from "./csr.js";
import { waitForRootCert } from "./root-cert.js";
import { createRotatingSigner } from "./rotating-ca-signer.js";
import { waitForFiles, watchedFileText } from "./watched-file-text.js";

const id = makeIdentity("demo", "waypoint");

describe("watchedFileText / waitForFiles", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-watched-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("is undefined before the file exists, follows rewrites, keeps the last text when deleted", async () => {
    const p = join(dir, "token");
    const text = watchedFileText(p);
    assert.equal(text(), undefined);
    await writeFile(p, "first-token\n");
    assert.equal(text(), "first-token");
    await writeFile(p, "second-token-longer\n");
    assert.equal(text(), "second-token-longer");
    await unlink(p);
    assert.equal(text(), "second-token-longer");
  });

  it("waits for every path to be non-empty, reports the missing ones once, and gives up when stopped", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    const told: (readonly string[])[] = [];
    const waiting = waitForFiles(
      [a, b],
      () => false,
      (m) => told.push(m),
      10,
    );
    let done = false;
    void waiting.then(() => {
      done = true;
    });
    await writeFile(a, "x");
    await writeFile(b, ""); // created, not written yet: still waiting
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false);
    await writeFile(b, "y");
    assert.equal(await waiting, true);
    assert.deepEqual(told, [[a, b]]);
    assert.equal(await waitForFiles([join(dir, "never")], () => true), false);
  });
});

describe("waitForRootCert", () => {
  it("re-reads a half-written bundle until it parses; gives up when stopped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ambit-roots-"));
    try {
      const p = join(dir, "root-cert.pem");
      const { rootsPem } = await createTestPki();
      await writeFile(p, rootsPem.slice(0, 100));
      const reasons: string[] = [];
      const waiting = waitForRootCert(
        p,
        () => false,
        (r) => reasons.push(r),
        10,
      );
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(p, rootsPem);
      assert.equal(await waiting, rootsPem);
      assert.equal(reasons.length, 1);
      await writeFile(p, "not a certificate");
      assert.equal(await waitForRootCert(p, () => true), undefined);
      assert.equal(await waitForRootCert(join(dir, "missing"), () => true), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("createRotatingSigner against a real gRPC CA", () => {
  let ca: TestCaServer;
  before(async () => {
    ca = await startTestCaServer();
  });
  after(() => ca.close());

  it("sends the current token and node on every request, following rotation", async () => {
    let token: string | undefined = "token-one-aaaaaaaaaaaa";
    const signer = createRotatingSigner({
      address: ca.address,
      rootsPem: ca.rootsPem,
      node: "node-1",
      token: () => token,
    });
    try {
      const csr = await createWorkloadCsr(id);
      const chain = await signer.sign(id, csr.csrPem, 3600);
      assert.ok(chain.length >= 2);
      token = "token-two-bbbbbbbbbbbb";
      await signer.sign(id, (await createWorkloadCsr(id)).csrPem, 3600);
      const seen = ca.requests.map((r) => [
        r.metadata.get("authorization")[0],
        r.metadata.get("x-ambit-node")[0],
      ]);
      assert.deepEqual(seen, [
        ["Bearer token-one-aaaaaaaaaaaa", "node-1"],
        ["Bearer token-two-bbbbbbbbbbbb", "node-1"],
      ]);
    } finally {
      signer.close();
    }
  });

  it("an unreachable CA is a ca_unavailable CertificateError", async () => {
    const signer = createRotatingSigner({
      address: "127.0.0.1:1",
      rootsPem: ca.rootsPem,
      node: "node-1",
      token: () => undefined,
      timeoutMs: 500,
    });
    try {
      const csr = await createWorkloadCsr(id);
      await assert.rejects(signer.sign(id, csr.csrPem, 60), (e: unknown) => {
        assert.ok(e instanceof CertificateError);
        assert.equal(e.code, "ca_unavailable");
        return true;
      });
    } finally {
      signer.close();
    }
  });
});
