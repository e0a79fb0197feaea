import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { makeIdentity } from "@ambit/api";
import { createTestPki } from "./pki.js";
import { createTestCsr } from "./pki-csr.js";

function certs(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

describe("test PKI", () => {
  it("issues a SPIFFE leaf chained to the root with both EKUs", async () => {
    const pki = await createTestPki();
    const leaf = await pki.issue({ identity: makeIdentity("ns1", "sa1"), dnsNames: ["x.example"] });
    const c = new X509Certificate(leaf.certPem);
    const root = new X509Certificate(pki.rootsPem);
    assert.ok(c.checkIssued(root) && c.verify(root.publicKey));
    assert.equal(c.subjectAltName, "URI:spiffe://cluster.local/ns/ns1/sa/sa1, DNS:x.example");
    assert.deepEqual(c.keyUsage?.sort(), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    assert.equal(certs(leaf.chainPem).length, 1);
  });

  it("expired and foreign-trust-domain variants", async () => {
    const pki = await createTestPki({ trustDomain: "other.td" });
    const leaf = await pki.issue({ expired: true });
    assert.ok(new Date(new X509Certificate(leaf.certPem).validTo) < new Date());
    assert.match(new X509Certificate(leaf.certPem).subjectAltName ?? "", /spiffe:\/\/other\.td\//);
  });

  it("intermediates: chain is leaf, intermediate(s); roots stay the root", async () => {
    const root = await createTestPki();
    const i1 = await root.createIntermediate("i1");
    const i2 = await i1.createIntermediate("i2");
    const leaf = await i2.issue();
    const chain = certs(leaf.chainPem);
    assert.equal(chain.length, 3);
    assert.ok(chain[0]!.checkIssued(chain[1]!) && chain[1]!.checkIssued(chain[2]!));
    assert.ok(chain[2]!.checkIssued(new X509Certificate(root.rootsPem)));
    assert.equal(i2.rootsPem, root.rootsPem);
  });

  it("CSR builder produces the requested SANs and key types", async () => {
    const csr = await createTestCsr({ uris: ["spiffe://cluster.local/ns/a/sa/b"], key: "P-384" });
    assert.match(csr.csrPem, /^-----BEGIN CERTIFICATE REQUEST-----/);
    assert.match(csr.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  });
});
