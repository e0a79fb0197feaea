/**
 * A throw-away JWT issuer for the e2e suite: RS256 and ES256 key pairs made per run, their JWKS
 * (for a RequestAuthentication's inline `jwks`), and tokens signed with them (node:crypto only).
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

export type JwtAlg = "RS256" | "ES256";

interface Key {
  readonly kid: string;
  readonly alg: JwtAlg;
  readonly priv: KeyObject;
  readonly pub: KeyObject;
}

export interface TestIssuer {
  readonly issuer: string;
  /** JWKS document (JSON text) with the public halves of both keys. */
  readonly jwks: string;
  /**
   * A compact JWS. `claims` are merged over `{iss, sub, aud, iat, exp: now + 10 min}`;
   * `foreignKey` signs with a key that is NOT in the JWKS (a forged token).
   */
  token(alg: JwtAlg, claims?: Record<string, unknown>, opts?: { readonly foreignKey?: boolean }): string;
}

function makeKey(alg: JwtAlg, kid: string): Key {
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, alg, priv: pair.privateKey, pub: pair.publicKey };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

/** Makes a new issuer with one RSA and one P-256 key. */
export function createTestIssuer(issuer: string, audience: string, subject: string): TestIssuer {
  const keys = { RS256: makeKey("RS256", "rsa-1"), ES256: makeKey("ES256", "ec-1") };
  const foreign = { RS256: makeKey("RS256", "rsa-1"), ES256: makeKey("ES256", "ec-1") };
  const jwks = JSON.stringify({
    keys: Object.values(keys).map((k) => ({
      ...k.pub.export({ format: "jwk" }),
      kid: k.kid,
      alg: k.alg,
      use: "sig",
    })),
  });
  return {
    issuer,
    jwks,
    token(alg, claims = {}, opts = {}) {
      const k = (opts.foreignKey ? foreign : keys)[alg];
      const now = Math.floor(Date.now() / 1000);
      const head = b64({ alg, typ: "JWT", kid: k.kid });
      const body = b64({ iss: issuer, sub: subject, aud: audience, iat: now, exp: now + 600, ...claims });
      const input = Buffer.from(`${head}.${body}`);
      const sig =
        alg === "RS256"
          ? sign("sha256", input, k.priv)
          : sign("sha256", input, { key: k.priv, dsaEncoding: "ieee-p1363" });
      return `${head}.${body}.${sig.toString("base64url")}`;
    },
  };
}
