/**
 * The control plane process started with `--ca-dir` (an operator intermediate in Istio's cacerts
 * layout) and `--additional-roots`: ztunnel's real CA client gets a certificate that chains to
 * the operator root, and the published trust bundle carries the extra root. A missing CA file
 * stops the process with a log line naming it.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatIdentity, makeIdentity } from "@ambit/api";
import { createNodeCredential } from "@ambit/control-plane";
import {
  createTestCsr,
  createTestPki,
  killMains,
  type MainProcess,
  startMain,
  waitFor,
} from "@ambit/testing";
import { CaClient } from "@ambit/ztunnel";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: demo, uid: uid-client}
spec: {serviceAccountName: client, nodeName: node-a}
status: {phase: Running, podIP: 10.9.1.2}
`;

describe("control-plane process with --ca-dir and --additional-roots", () => {
  let dir: string;
  const procs: MainProcess[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-cp-cacerts-"));
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "pod.yaml"), POD);
  });
  after(async () => {
    killMains(...procs);
    await rm(dir, { recursive: true, force: true });
  });

  const start = (stateDir: string, flags: string[]): MainProcess => {
    const p = startMain("packages/control-plane/src/main.ts", [
      ...["--config-dir", join(dir, "config"), "--state-dir", stateDir, "--listen", "127.0.0.1:0"],
      ...["--status-socket", join(stateDir, "status.sock"), ...flags],
    ]);
    procs.push(p);
    return p;
  };

  it("issues leaves under the operator intermediate and publishes the extra root", async () => {
    const root = await createTestPki({ commonName: "operator root" });
    const inter = await root.createIntermediate("operator intermediate");
    const next = await createTestPki({ commonName: "next root" });
    const caDir = join(dir, "cacerts");
    await mkdir(caDir);
    await writeFile(join(caDir, "ca-cert.pem"), inter.certPem);
    await writeFile(join(caDir, "ca-key.pem"), inter.keyPem, { mode: 0o600 });
    await writeFile(join(caDir, "root-cert.pem"), root.rootsPem);
    await writeFile(join(caDir, "cert-chain.pem"), inter.certPem + root.rootsPem);
    await writeFile(join(dir, "next-root.pem"), next.rootsPem);
    const stateDir = join(dir, "state");
    const cred = await createNodeCredential(stateDir, "node-a");
    const p = start(stateDir, ["--ca-dir", caDir, "--additional-roots", join(dir, "next-root.pem")]);
    const ready = await waitFor(
      "control plane ready",
      () => {
        if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.log.slice(-2000)}`);
        return /"msg":"control plane ready"[^\n]*"listen":"127\.0\.0\.1:(\d+)"/.exec(p.log)?.[1];
      },
      { timeoutMs: 40_000, intervalMs: 50 },
    );
    const bundle = readFileSync(join(stateDir, "ca", "root-cert.pem"), "utf8");
    assert.equal(bundle, root.rootsPem + next.rootsPem, "published bundle: operator root + extra root");
    const id = makeIdentity("demo", "client");
    const ca = new CaClient({
      address: `127.0.0.1:${ready}`,
      rootsPem: bundle,
      node: "node-a",
      token: cred.token,
    });
    try {
      const chain = await ca.sign(id, (await createTestCsr({ uris: [formatIdentity(id)] })).csrPem, 600);
      assert.equal(chain.length, 3);
      const [leaf, mid, top] = [chain[0]!, chain[1]!, root.rootsPem].map((c) => new X509Certificate(c));
      assert.ok(leaf!.verify(mid!.publicKey) && mid!.verify(top!.publicKey), "leaf → intermediate → root");
      assert.equal(chain[2], bundle);
    } finally {
      ca.close();
    }
  });

  it("a missing CA file stops the start with its name", async () => {
    const caDir = join(dir, "half");
    await mkdir(caDir);
    await writeFile(join(caDir, "ca-cert.pem"), "x");
    const p = start(join(dir, "state-bad"), ["--ca-dir", caDir]);
    const code =
      p.child.exitCode ?? (await new Promise<number | null>((r) => p.child.once("exit", (c) => r(c))));
    assert.equal(code, 1, p.log);
    assert.match(p.log, /control plane failed.*missing ca-key\.pem, root-cert\.pem/);
    assert.equal(existsSync(join(dir, "state-bad", "status.sock")), false);
  });
});
