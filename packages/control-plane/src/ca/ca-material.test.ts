import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeIdentity } from "@ambit/api";
import { createTestCsr, createTestPki, type TestPki } from "@ambit/testing";
import { CaError } from "./ca-error.js";
import { loadCaFromFiles } from "./ca-material.js";
import { loadOrCreateRoot } from "./ca-root.js";
import { CertificateAuthority } from "./certificate-authority.js";

const id = makeIdentity("default", "sleep");

async function issue(ca: CertificateAuthority) {
  const csr = await createTestCsr({ uris: ["spiffe://cluster.local/ns/default/sa/sleep"] });
  return ca.issueWorkloadCertificate({ csrPem: csr.csrPem, identity: id, requestedTtlSeconds: 0n });
}

function verifiesUpTo(chain: readonly string[]): void {
  const certs = chain.map((p) => new X509Certificate(p));
  for (let i = 0; i + 1 < certs.length; i++) {
    assert.ok(certs[i]!.verify(certs[i + 1]!.publicKey), `link ${i} does not verify`);
  }
}

describe("CA material", () => {
  let dir: string;
  let pki: TestPki;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-ca-"));
    pki = await createTestPki();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("generates a P-256 root once, key 0600, and reuses it on restart", async () => {
    const state = join(dir, "state");
    const a = await loadOrCreateRoot(state, "cluster.local");
    const keyStat = await stat(join(state, "ca", "root-key.pem"));
    assert.equal(keyStat.mode & 0o777, 0o600);
    const b = await loadOrCreateRoot(state, "cluster.local");
    assert.equal(a.rootsPem[0], b.rootsPem[0]);
    const root = new X509Certificate(a.rootsPem[0]!);
    assert.ok(root.ca);
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.deepEqual(a.intermediatesPem, []);
  });

  it("tightens a loosened key file back to 0600", async () => {
    const state = join(dir, "loose");
    await loadOrCreateRoot(state, "cluster.local");
    await chmod(join(state, "ca", "root-key.pem"), 0o644);
    await loadOrCreateRoot(state, "cluster.local");
    assert.equal((await stat(join(state, "ca", "root-key.pem"))).mode & 0o777, 0o600);
  });

  it("user-provided root: leaf chain is [leaf, root]", async () => {
    const files = {
      certFile: join(dir, "root-ca-cert.pem"),
      keyFile: join(dir, "root-ca-key.pem"),
      rootsFile: join(dir, "root-root-cert.pem"),
    };
    await writeFile(files.certFile, pki.certPem);
    await writeFile(files.keyFile, pki.keyPem);
    await writeFile(files.rootsFile, pki.rootsPem);
    const ca = await CertificateAuthority.create({ files });
    const out = await issue(ca);
    assert.equal(out.certChain.length, 2);
    assert.equal(out.certChain[1], pki.rootsPem);
    verifiesUpTo(out.certChain);
  });

  it("user-provided intermediate: chain is [leaf, intermediate, root bundle] with extra roots", async () => {
    const inter = await pki.createIntermediate();
    const other = await createTestPki({ commonName: "next root" });
    const files = {
      certFile: join(dir, "ca-cert.pem"),
      keyFile: join(dir, "ca-key.pem"),
      rootsFile: join(dir, "root-cert.pem"),
      chainFile: join(dir, "cert-chain.pem"),
    };
    await writeFile(files.certFile, inter.certPem);
    await writeFile(files.keyFile, inter.keyPem);
    await writeFile(files.rootsFile, pki.rootsPem + other.rootsPem);
    await writeFile(files.chainFile, inter.certPem + pki.rootsPem);
    const ca = await CertificateAuthority.create({ files });
    const out = await issue(ca);
    assert.equal(out.certChain.length, 3);
    assert.equal(out.certChain[1], inter.certPem);
    assert.equal(out.certChain[2], pki.rootsPem + other.rootsPem);
    verifiesUpTo([out.certChain[0]!, out.certChain[1]!, pki.rootsPem]);
  });

  it("additional roots join the published bundle once (root rotation)", async () => {
    const next = await createTestPki({ commonName: "next root" });
    const dupes = [next.rootsPem, next.rootsPem.trimEnd(), next.rootsPem].join("\n");
    const ca = await CertificateAuthority.create({
      stateDir: join(dir, "rotation"),
      additionalRootsPem: dupes,
    });
    const out = await issue(ca);
    const bundle = out.certChain.at(-1)!;
    assert.equal(bundle, ca.rootsPem);
    assert.equal(bundle.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.ok(bundle.endsWith(next.rootsPem));
    const leaf = new X509Certificate(out.certChain[0]!);
    assert.ok(leaf.verify(new X509Certificate(bundle).publicKey), "signed by the first (own) root");
    await assert.rejects(
      CertificateAuthority.create({
        stateDir: join(dir, "rotation"),
        additionalRootsPem: (await next.issue()).certPem,
      }),
      (e: unknown) => e instanceof CaError && /not a CA/.test(e.message),
    );
  });

  it("rejects unusable material", async () => {
    const stranger = await createTestPki();
    const leaf = await pki.issue();
    const si = await stranger.createIntermediate();
    const w = async (name: string, text: string) => {
      const p = join(dir, name);
      await writeFile(p, text);
      return p;
    };
    const cases: [string, Parameters<typeof loadCaFromFiles>[0], RegExp][] = [
      [
        "key of another CA",
        {
          certFile: await w("m1", pki.certPem),
          keyFile: await w("k1", stranger.keyPem),
          rootsFile: await w("r1", pki.rootsPem),
        },
        /does not match/,
      ],
      [
        "signer is not a CA",
        {
          certFile: await w("m2", leaf.certPem),
          keyFile: await w("k2", leaf.keyPem),
          rootsFile: await w("r2", pki.rootsPem),
        },
        /not a CA/,
      ],
      [
        "signer not under the roots",
        {
          certFile: await w("m3", si.certPem),
          keyFile: await w("k3", si.keyPem),
          rootsFile: await w("r3", pki.rootsPem),
        },
        /does not chain to any root/,
      ],
      [
        "missing file",
        { certFile: join(dir, "nope"), keyFile: join(dir, "nope"), rootsFile: join(dir, "nope") },
        /cannot read/,
      ],
    ];
    for (const [name, files, want] of cases) {
      await assert.rejects(
        loadCaFromFiles(files),
        (e: unknown) => {
          return e instanceof CaError && e.code === "bad_ca_material" && want.test(e.message);
        },
        name,
      );
    }
  });

  it("serving certificate: DNS + IP SANs, serverAuth, chains to the roots", async () => {
    const ca = await CertificateAuthority.create({ stateDir: join(dir, "serving") });
    const s = await ca.issueServingCertificate({
      dnsNames: ["localhost", "cp.ambit"],
      ips: ["127.0.0.1", "10.1.0.1"],
    });
    const c = new X509Certificate(s.certChainPem);
    assert.equal(c.subjectAltName, "DNS:localhost, DNS:cp.ambit, IP Address:127.0.0.1, IP Address:10.1.0.1");
    assert.deepEqual(c.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
    assert.ok(c.verify(new X509Certificate(s.rootsPem).publicKey));
    assert.match(s.keyPem, /BEGIN PRIVATE KEY/);
    assert.equal(await readFile(join(dir, "serving", "ca", "root-cert.pem"), "utf8"), s.rootsPem);
  });
});
