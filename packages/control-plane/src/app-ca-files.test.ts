/**
 * The running control plane with operator CA material (`caDir`, `additionalRootsFile`, the
 * `--ca-dir` / `--additional-roots` flags): real gRPC + TLS issuance through the CA client that
 * ztunnel uses, the published trust bundle, restarts, and every bad-input path.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatIdentity, makeIdentity } from "@ambit/api";
import { CaClient } from "@ambit/core";
import { createTestCsr, createTestPki, type TestPki } from "@ambit/testing";
import { type ControlPlaneApp, type ControlPlaneConfig, startControlPlane } from "./app.js";
import { createNodeCredential, type NodeCredential } from "./auth/index.js";
import { CaError } from "./ca/index.js";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, uid: u1}
spec: {serviceAccountName: sa, nodeName: node-a}
status: {phase: Running, podIP: 10.1.0.5}
`;
const sa = makeIdentity("default", "sa");

describe("control plane with operator CA files", () => {
  let dir: string;
  let root: TestPki;
  let inter: TestPki;
  let next: TestPki;
  let n = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-cp-cafiles-"));
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "pod.yaml"), POD);
    root = await createTestPki({ commonName: "operator root" });
    inter = await root.createIntermediate("operator intermediate");
    next = await createTestPki({ commonName: "next root" });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A fresh state dir; `files` are written into a fresh cacerts dir when given. */
  async function setup(files?: Record<string, string>): Promise<{ stateDir: string; caDir: string }> {
    n++;
    const stateDir = join(dir, `state-${n}`);
    const caDir = join(dir, `cacerts-${n}`);
    await mkdir(caDir);
    for (const [name, text] of Object.entries(files ?? {})) await writeFile(join(caDir, name), text);
    return { stateDir, caDir };
  }

  const start = (extra: Partial<ControlPlaneConfig> & { stateDir: string }) =>
    startControlPlane({
      configDir: join(dir, "config"),
      listenHost: "127.0.0.1",
      listenPort: 0,
      debounceMs: 10,
      ...extra,
    });

  /** One CreateCertificate for the pod's identity over gRPC + TLS, trusting the published bundle. */
  async function issue(app: ControlPlaneApp, cred: NodeCredential, ttl: number): Promise<string[]> {
    const client = new CaClient({
      address: `127.0.0.1:${app.xdsPort}`,
      rootsPem: readFileSync(app.rootCertPath, "utf8"),
      node: cred.node,
      token: cred.token,
    });
    try {
      return await client.sign(sa, (await createTestCsr({ uris: [formatIdentity(sa)] })).csrPem, ttl);
    } finally {
      client.close();
    }
  }

  const operatorFiles = () => ({
    "ca-cert.pem": inter.certPem,
    "ca-key.pem": inter.keyPem,
    "root-cert.pem": root.rootsPem,
    "cert-chain.pem": inter.certPem + root.rootsPem,
  });

  it("an operator intermediate signs leaves that chain to the operator root; extra roots are published", async () => {
    const { stateDir, caDir } = await setup(operatorFiles());
    const extra = join(dir, "next-root.pem");
    await writeFile(extra, next.rootsPem);
    const cred = await createNodeCredential(stateDir, "node-a");
    const app = await start({ stateDir, caDir, additionalRootsFile: extra });
    try {
      const chain = await issue(app, cred, 3600);
      assert.equal(chain.length, 3, "leaf, intermediate, root bundle");
      const [leaf, mid] = [new X509Certificate(chain[0]!), new X509Certificate(chain[1]!)];
      assert.equal(chain[1], inter.certPem);
      const userRoot = new X509Certificate(root.rootsPem);
      assert.ok(leaf.checkIssued(mid) && leaf.verify(mid.publicKey), "leaf signed by the intermediate");
      assert.ok(mid.checkIssued(userRoot) && mid.verify(userRoot.publicKey), "intermediate under the root");
      assert.equal(leaf.subjectAltName, `URI:${formatIdentity(sa)}`);
      assert.equal(chain[2], root.rootsPem + next.rootsPem, "bundle: operator root, then the extra root");
      assert.equal(readFileSync(app.rootCertPath, "utf8"), chain[2], "the published trust bundle");
    } finally {
      await app.stop(100);
    }
  });

  it("default TTL: a request for none gets 24 h when the maximum is above 24 h", async () => {
    const { stateDir } = await setup();
    const cred = await createNodeCredential(stateDir, "node-a");
    const app = await start({ stateDir, maxWorkloadTtlSeconds: 7 * 86_400 });
    try {
      const leaf = new X509Certificate((await issue(app, cred, 0))[0]!);
      assert.equal((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000, 86_400);
    } finally {
      await app.stop(100);
    }
  });

  it("an extra root dropped from the flags leaves the bundle on the next start", async () => {
    const { stateDir } = await setup();
    const extra = join(dir, "rotating-root.pem");
    await writeFile(extra, next.rootsPem);
    const first = await start({ stateDir, additionalRootsFile: extra });
    const two = readFileSync(first.rootCertPath, "utf8");
    await first.stop(100);
    assert.equal(two.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const second = await start({ stateDir });
    try {
      const one = readFileSync(second.rootCertPath, "utf8");
      assert.equal(one.match(/BEGIN CERTIFICATE/g)?.length, 1);
      assert.ok(two.startsWith(one), "same own root, the retired one gone");
    } finally {
      await second.stop(100);
    }
  });

  it("bad CA files and extra roots fail the start with a message naming the file", async () => {
    const stranger = await createTestPki();
    const leaf = await root.issue();
    const cases: [string, Record<string, string> | "no-dir", string | undefined, RegExp][] = [
      ["no such directory", "no-dir", undefined, /--ca-dir .*cacerts-nope: not a directory/],
      [
        "missing key",
        { "ca-cert.pem": inter.certPem, "root-cert.pem": root.rootsPem },
        undefined,
        /missing ca-key\.pem \(want/,
      ],
      ["empty directory", {}, undefined, /missing ca-cert\.pem, ca-key\.pem, root-cert\.pem/],
      [
        "key of another CA",
        { ...operatorFiles(), "ca-key.pem": stranger.keyPem },
        undefined,
        /private key in .*ca-key\.pem does not match the certificate in .*ca-cert\.pem/,
      ],
      [
        "key is not a key",
        { ...operatorFiles(), "ca-key.pem": "garbage" },
        undefined,
        /ca-key\.pem: bad private key/,
      ],
      [
        "signer under another root",
        { ...operatorFiles(), "root-cert.pem": next.rootsPem },
        undefined,
        /does not chain to any root/,
      ],
      ["root file without a certificate", { ...operatorFiles(), "root-cert.pem": "x" }, undefined, /no root/],
      ["extra roots file missing", operatorFiles(), join(dir, "nope.pem"), /--additional-roots .*nope\.pem/],
      ["extra roots file empty", operatorFiles(), "", /no PEM certificate/],
      ["extra root is a leaf", operatorFiles(), leaf.certPem, /additional root .* is not a CA/],
    ];
    for (const [name, files, roots, want] of cases) {
      const { stateDir, caDir } = await setup(files === "no-dir" ? {} : files);
      if (files === "no-dir") await rm(caDir, { recursive: true });
      let rootsFile = roots;
      if (roots !== undefined && !roots.startsWith("/")) {
        rootsFile = join(caDir, "extra.pem");
        await writeFile(rootsFile, roots);
      }
      await assert.rejects(
        start({
          stateDir,
          caDir: files === "no-dir" ? join(dir, "cacerts-nope") : caDir,
          ...(rootsFile !== undefined ? { additionalRootsFile: rootsFile } : {}),
        }),
        (e: unknown) => e instanceof CaError && e.code === "bad_ca_material" && want.test(e.message),
        name,
      );
    }
    // The chain file is optional: without it the signer alone is the intermediate.
    const { stateDir, caDir } = await setup(operatorFiles());
    await unlink(join(caDir, "cert-chain.pem"));
    const cred = await createNodeCredential(stateDir, "node-a");
    const app = await start({ stateDir, caDir });
    try {
      const chain = await issue(app, cred, 60);
      assert.deepEqual(chain.slice(1), [inter.certPem, root.rootsPem]);
    } finally {
      await app.stop(100);
    }
  });
});
