import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIdentity, IdentityError, parseIdentity, principalOf } from "./identity.js";

describe("parseIdentity", () => {
  const valid: [string, string, string, string][] = [
    ["spiffe://cluster.local/ns/default/sa/sleep", "cluster.local", "default", "sleep"],
    ["spiffe://example.org/ns/bookinfo/sa/bookinfo-reviews", "example.org", "bookinfo", "bookinfo-reviews"],
    ["spiffe://td_1/ns/a/sa/b.c", "td_1", "a", "b.c"],
  ];
  for (const [uri, td, ns, sa] of valid) {
    it(`parses ${uri}`, () => {
      const id = parseIdentity(uri);
      assert.deepEqual({ ...id }, { trustDomain: td, namespace: ns, serviceAccount: sa });
      assert.equal(formatIdentity(id), uri);
    });
  }
  const invalid: [string, string][] = [
    ["", "not_spiffe"],
    ["http://cluster.local/ns/a/sa/b", "not_spiffe"],
    ["spiffe://cluster.local/ns/a/sa", "bad_shape"],
    ["spiffe://cluster.local/ns/a/sa/b/extra", "bad_shape"],
    ["spiffe://cluster.local/namespace/a/sa/b", "bad_shape"],
    ["spiffe://cluster.local/ns/a/serviceaccount/b", "bad_shape"],
    ["spiffe:///ns/a/sa/b", "bad_trust_domain"],
    ["spiffe://Cluster.Local/ns/a/sa/b", "bad_trust_domain"],
    ["spiffe://cluster.local/ns//sa/b", "bad_namespace"],
    ["spiffe://cluster.local/ns/A/sa/b", "bad_namespace"],
    ["spiffe://cluster.local/ns/a/sa/", "bad_service_account"],
    ["spiffe://cluster.local/ns/a/sa/-b", "bad_service_account"],
  ];
  for (const [uri, code] of invalid) {
    it(`rejects ${JSON.stringify(uri)} with ${code}`, () => {
      assert.throws(
        () => parseIdentity(uri),
        (e: unknown) => e instanceof IdentityError && e.code === code,
      );
    });
  }
  it("principal drops the scheme", () => {
    assert.equal(principalOf(parseIdentity("spiffe://cluster.local/ns/a/sa/b")), "cluster.local/ns/a/sa/b");
  });
});
