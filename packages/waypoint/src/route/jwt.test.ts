import assert from "node:assert/strict";
import { test } from "node:test";
import type { JwtRule } from "../config/types.js";
import { createTestSigner } from "../testdata/jwt-keys.js";
import { authenticateJwt, compileJwtRules } from "./jwt.js";

const signer = createTestSigner();
const now = 1_800_000_000;
const rule = (p: Partial<JwtRule> = {}): JwtRule => ({
  name: "ns/ra/0",
  issuer: "https://issuer.example",
  audiences: [],
  jwks: signer.jwks,
  jwksFile: "",
  services: [],
  fromHeaders: ["authorization"],
  ...p,
});
const noFile = (p: string): string => {
  throw new Error(`unexpected read ${p}`);
};
const auth = (rules: JwtRule[], headers: Record<string, string>, service = "svc") =>
  authenticateJwt(compileJwtRules(rules, noFile), service, (n) => headers[n], now);
const good = { iss: "https://issuer.example", sub: "alice", exp: now + 600, aud: "api" };

test("valid RS256 and ES256 tokens give principal iss/sub and claims", () => {
  for (const alg of ["RS256", "ES256"] as const) {
    const r = auth([rule()], { authorization: `Bearer ${signer.token(good, { alg })}` });
    assert.equal(r.t, "ok", alg);
    if (r.t === "ok") {
      assert.equal(r.principal, "https://issuer.example/alice");
      assert.equal(r.claims["aud"], "api");
    }
  }
});

test("no token → none; rules for other services do not apply", () => {
  assert.equal(auth([rule()], {}).t, "none");
  assert.equal(auth([rule({ services: ["other"] })], { authorization: "Bearer garbage" }).t, "none");
});

test("every bad token shape → invalid with Envoy-like reasons", () => {
  const tok = signer.token(good);
  const [h, p] = tok.split(".");
  const otherSigner = createTestSigner();
  const table: [Record<string, string>, string][] = [
    [{ authorization: "Bearer abc" }, "Jwt is not in the form of Header.Payload.Signature"],
    [{ authorization: "Bearer a.b.c" }, "Jwt header or payload is not valid JSON"],
    [
      { authorization: `Bearer ${signer.token({ ...good, iss: "https://evil" })}` },
      "Jwt issuer is not configured",
    ],
    [{ authorization: `Bearer ${otherSigner.token(good)}` }, "Jwt verification fails"],
    [{ authorization: `Bearer ${h}.${p}.AAAA` }, "Jwt verification fails"],
    [
      {
        authorization: `Bearer ${h}.${Buffer.from(JSON.stringify({ ...good, sub: "mallory" })).toString("base64url")}.${tok.split(".")[2]}`,
      },
      "Jwt verification fails",
    ],
    [{ authorization: `Bearer ${signer.token({ ...good, exp: now - 3600 })}` }, "Jwt is expired"],
    [{ authorization: `Bearer ${signer.token({ ...good, nbf: now + 3600 })}` }, "Jwt not yet valid"],
  ];
  for (const [headers, reason] of table) {
    const r = auth([rule()], headers);
    assert.deepEqual(r, { t: "invalid", reason }, reason);
  }
  const alg = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${p}.`;
  assert.deepEqual(auth([rule()], { authorization: `Bearer ${alg}` }), {
    t: "invalid",
    reason: "Jwt algorithm none is not supported",
  });
});

test("audiences: one must match when configured", () => {
  const t = `Bearer ${signer.token(good)}`;
  assert.equal(auth([rule({ audiences: ["api", "web"] })], { authorization: t }).t, "ok");
  assert.deepEqual(auth([rule({ audiences: ["web"] })], { authorization: t }), {
    t: "invalid",
    reason: "Audiences in Jwt are not allowed",
  });
});

test("custom header and JWKS from file; unreadable file and bad JWKS are config errors", () => {
  const rules = compileJwtRules(
    [rule({ jwks: "", jwksFile: "/k.json", fromHeaders: ["x-jwt"] })],
    () => signer.jwks,
  );
  assert.equal(
    authenticateJwt(rules, "svc", (n) => (n === "x-jwt" ? signer.token(good) : undefined), now).t,
    "ok",
  );
  assert.throws(
    () => compileJwtRules([rule({ jwks: "", jwksFile: "/missing" })], noFile),
    (e: Error & { code?: string }) => e.code === "jwks_unreadable",
  );
  assert.throws(
    () => compileJwtRules([rule({ jwks: "{" })], noFile),
    (e: Error & { code?: string }) => e.code === "invalid_config",
  );
});
