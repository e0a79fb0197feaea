import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeIdentity } from "@ambit/api";
import { createTestCsr, type TestCsrOptions } from "@ambit/testing";
import { checkCsr } from "./csr-validation.js";

const id = makeIdentity("default", "sleep");
const ID = "spiffe://cluster.local/ns/default/sa/sleep";

describe("checkCsr", () => {
  const accepted: [string, TestCsrOptions, string][] = [
    ["P-256 with the identity", { uris: [ID] }, "P-256"],
    ["P-384 with the identity", { uris: [ID], key: "P-384" }, "P-384"],
    ["RSA-2048 with the identity", { uris: [ID], key: "RSA-2048" }, "RSA-2048"],
    ["a subject is ignored", { uris: [ID], subject: "CN=whatever" }, "P-256"],
  ];
  for (const [name, opts, keyType] of accepted) {
    it(`accepts: ${name}`, async () => {
      const r = await checkCsr((await createTestCsr(opts)).csrPem, id);
      assert.ok(r.ok, r.ok ? "" : r.reason);
      assert.equal(r.keyType, keyType);
    });
  }

  const rejected: [string, TestCsrOptions | string, RegExp][] = [
    ["no SAN extension", { noSanExtension: true }, /no subjectAltName/],
    ["empty SAN", { uris: [] }, /exactly one URI SAN, found 0/],
    ["other identity", { uris: ["spiffe://cluster.local/ns/default/sa/admin"] }, /does not match requested/],
    ["two URIs", { uris: [ID, "spiffe://cluster.local/ns/x/sa/y"] }, /exactly one URI SAN, found 2/],
    ["extra DNS SAN", { uris: [ID], dnsNames: ["evil.example"] }, /extra dns:evil.example/],
    ["extra e-mail SAN", { uris: [ID], emails: ["a@b.c"] }, /extra email/],
    ["only a DNS SAN", { dnsNames: ["sleep.default"] }, /exactly one URI SAN, found 0/],
    ["P-521 key", { uris: [ID], key: "P-521" }, /curve .* not allowed/],
    ["RSA-1024 key", { uris: [ID], key: "RSA-1024" }, /1024 bits is too small/],
    ["Ed25519 key", { uris: [ID], key: "Ed25519" }, /ed25519 not allowed/],
    ["broken signature", { uris: [ID], corruptSignature: true }, /signature does not verify/],
    ["not PEM", "hello", /expected one PEM CERTIFICATE REQUEST block, found 0/],
    [
      "garbage inside PEM",
      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
      /not a PKCS#10 request/,
    ],
    ["oversized", `${"x".repeat(20000)}`, /larger than 16 KiB/],
  ];
  for (const [name, input, want] of rejected) {
    it(`rejects: ${name}`, async () => {
      const pem = typeof input === "string" ? input : (await createTestCsr(input)).csrPem;
      const r = await checkCsr(pem, id);
      assert.equal(r.ok, false);
      assert.match(r.ok ? "" : r.reason, want);
    });
  }

  it("rejects two concatenated CSRs", async () => {
    const a = await createTestCsr({ uris: [ID] });
    const r = await checkCsr(a.csrPem + a.csrPem, id);
    assert.ok(!r.ok && /found 2/.test(r.reason));
  });
});
