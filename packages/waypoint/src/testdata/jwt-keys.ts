// Test-only JWT signer: fresh RSA and P-256 keys, their JWKS, and a token builder.
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

export interface TestSigner {
  readonly jwks: string;
  token(claims: Record<string, unknown>, opts?: { alg?: "RS256" | "ES256"; kid?: string }): string;
}

export function createTestSigner(): TestSigner {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = (k: KeyObject, kid: string) => ({ ...k.export({ format: "jwk" }), kid, use: "sig" });
  const jwks = JSON.stringify({ keys: [jwk(rsa.publicKey, "rsa1"), jwk(ec.publicKey, "ec1")] });
  return {
    jwks,
    token(claims, opts = {}) {
      const alg = opts.alg ?? "RS256";
      const kid = opts.kid ?? (alg === "RS256" ? "rsa1" : "ec1");
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const data = `${enc({ alg, typ: "JWT", kid })}.${enc(claims)}`;
      const sig =
        alg === "RS256"
          ? sign("sha256", Buffer.from(data), rsa.privateKey)
          : sign("sha256", Buffer.from(data), { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
      return `${data}.${sig.toString("base64url")}`;
    },
  };
}
