import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_TRUST_DOMAIN,
  formatIdentity,
  IdentityError,
  identityEquals,
  makeIdentity,
  parseIdentity,
  principalOf,
  tryParseIdentity,
} from "./identity.js";

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

describe("identity edge cases (issue 3)", () => {
  const invalid: [string, string][] = [
    ["spiffe://cluster.local/ns/a/sa/b/", "bad_shape"],
    ["spiffe://cluster.local//ns/a/sa/b", "bad_shape"],
    ["SPIFFE://cluster.local/ns/a/sa/b", "not_spiffe"],
    [" spiffe://cluster.local/ns/a/sa/b", "not_spiffe"],
    ["spiffe://cluster.local/ns/a/sa/b ", "bad_service_account"],
    ["spiffe://cluster.local/ns/a/sa/b?x=1", "bad_service_account"],
    ["spiffe://cluster.local/ns/a/sa/b#frag", "bad_service_account"],
    ["spiffe://cluster.local/ns/a%2Fb/sa/c", "bad_namespace"],
    ["spiffe://user@cluster.local/ns/a/sa/b", "bad_trust_domain"],
    ["spiffe://cluster.local:443/ns/a/sa/b", "bad_trust_domain"],
    ["spiffe://cluster.local/ns/a-/sa/b", "bad_namespace"],
    [`spiffe://cluster.local/ns/${"a".repeat(64)}/sa/b`, "bad_namespace"],
    ["spiffe://cluster.local/ns/a/sa/B", "bad_service_account"],
    ["spiffe://cluster.local/ns/a/sa/b.", "bad_service_account"],
  ];
  for (const [uri, code] of invalid) {
    it(`rejects ${JSON.stringify(uri)} with ${code}`, () => {
      assert.throws(
        () => parseIdentity(uri),
        (e: unknown) => e instanceof IdentityError && e.code === code,
      );
      assert.equal(tryParseIdentity(uri), undefined);
    });
  }

  it("accepts the longest legal namespace and a dotted service account", () => {
    const ns = "a".repeat(63);
    const id = parseIdentity(`spiffe://cluster.local/ns/${ns}/sa/my.sa-1`);
    assert.equal(id.namespace, ns);
    assert.equal(id.serviceAccount, "my.sa-1");
  });

  it("makeIdentity defaults the trust domain and validates parts", () => {
    assert.equal(
      formatIdentity(makeIdentity("default", "sleep")),
      "spiffe://cluster.local/ns/default/sa/sleep",
    );
    assert.equal(DEFAULT_TRUST_DOMAIN, "cluster.local");
    assert.throws(
      () => makeIdentity("default", "sleep", "Bad.TD"),
      (e: unknown) => {
        return e instanceof IdentityError && e.code === "bad_trust_domain";
      },
    );
    assert.throws(
      () => makeIdentity("", "sleep"),
      (e: unknown) => e instanceof IdentityError && e.code === "bad_namespace",
    );
  });

  it("identities are frozen values compared field by field", () => {
    const a = parseIdentity("spiffe://td/ns/a/sa/b");
    assert.ok(Object.isFrozen(a));
    assert.ok(identityEquals(a, makeIdentity("a", "b", "td")));
    assert.ok(!identityEquals(a, makeIdentity("a", "b")));
    assert.ok(!identityEquals(a, makeIdentity("a", "c", "td")));
  });
});
