import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import { formatIdentity, makeIdentity } from "@ambit/api";
import { createTestPki, type TestPki } from "@ambit/testing";
import { verifyClientTrustDomain, verifyServerIdentity } from "./peer-identity.js";

const sleep = makeIdentity("default", "sleep");
const productpage = makeIdentity("bookinfo", "productpage");

describe("peer identity verification", () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });

  async function cert(opts: Parameters<TestPki["issue"]>[0]): Promise<X509Certificate> {
    return new X509Certificate((await pki.issue(opts)).certPem);
  }

  it("server identity matches one of the expected identities", async () => {
    const r = verifyServerIdentity(await cert({ identity: productpage }), [sleep, productpage]);
    assert.equal(r.ok, true);
    assert.ok(r.ok && r.identity.serviceAccount === "productpage");
  });

  it("server identity not in the list is a mismatch naming both sides", async () => {
    const r = verifyServerIdentity(await cert({ identity: productpage }), [sleep]);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.code === "identity_mismatch");
    assert.ok(
      !r.ok && r.reason.includes(formatIdentity(productpage)) && r.reason.includes(formatIdentity(sleep)),
    );
  });

  it("any URI SAN may match (service SANs)", async () => {
    const c = await cert({ identity: sleep, extraUris: [formatIdentity(productpage)] });
    assert.equal(verifyServerIdentity(c, [productpage]).ok, true);
  });

  it("DNS-only or non-SPIFFE URIs are not an identity", async () => {
    const c = await cert({ identity: "https://example.com/x", dnsNames: ["sleep.default"] });
    const r = verifyServerIdentity(c, [sleep]);
    assert.ok(!r.ok && r.code === "no_spiffe_identity");
    assert.deepEqual(r.presented, ["https://example.com/x"]);
  });

  it("missing peer certificate (tls returns {})", () => {
    const r = verifyServerIdentity({}, [sleep]);
    assert.ok(!r.ok && r.code === "no_peer_certificate");
    const r2 = verifyClientTrustDomain(undefined, "cluster.local");
    assert.ok(!r2.ok && r2.code === "no_peer_certificate");
  });

  it("malformed SAN text fails closed", () => {
    const r = verifyServerIdentity({ subjectaltname: 'URI:"spiffe://cluster.local/ns/default/sa/sleep' }, [
      sleep,
    ]);
    assert.ok(!r.ok && r.code === "malformed_san");
  });

  it("client trust domain: same domain passes, other domain fails", async () => {
    assert.equal(verifyClientTrustDomain(await cert({ identity: sleep }), "cluster.local").ok, true);
    const foreign = await cert({ identity: makeIdentity("default", "sleep", "other.domain") });
    const r = verifyClientTrustDomain(foreign, "cluster.local");
    assert.ok(!r.ok && r.code === "trust_domain_mismatch");
    assert.ok(!r.ok && r.reason.includes("other.domain"));
  });
});
