/**
 * CSR builder for tests of the CA: valid workload CSRs and every malformed variant the CA must
 * reject (extra or missing SANs, unsupported key types, broken signatures).
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

import * as x509 from "@peculiar/x509";
import { privateKeyPem } from "./pki.js";

/** Key types a test CSR can carry; the CA accepts only P-256, P-384 and RSA ≥ 2048. */
export type TestCsrKeyType = "P-256" | "P-384" | "P-521" | "RSA-1024" | "RSA-2048" | "Ed25519";

export interface TestCsrOptions {
  /** URI SANs (default: none). A workload CSR has exactly one, its SPIFFE ID. */
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly emails?: readonly string[];
  readonly key?: TestCsrKeyType;
  /** Subject DN, e.g. `CN=x` (default: empty, as ztunnel sends). */
  readonly subject?: string;
  /** Omit the SAN extension entirely. */
  readonly noSanExtension?: boolean;
  /** Flip a bit in the signature so verification fails. */
  readonly corruptSignature?: boolean;
}

export interface TestCsr {
  readonly csrPem: string;
  readonly keyPem: string;
  readonly keys: CryptoKeyPair;
}

function keyParams(key: TestCsrKeyType): {
  gen: Algorithm & Record<string, unknown>;
  sign: Algorithm & Record<string, unknown>;
} {
  switch (key) {
    case "P-256":
      return { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
    case "P-384":
      return { gen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" } };
    case "P-521":
      return { gen: { name: "ECDSA", namedCurve: "P-521" }, sign: { name: "ECDSA", hash: "SHA-512" } };
    case "Ed25519":
      return { gen: { name: "Ed25519" }, sign: { name: "Ed25519" } };
    case "RSA-1024":
    case "RSA-2048": {
      const modulusLength = key === "RSA-1024" ? 1024 : 2048;
      const rsa = {
        name: "RSASSA-PKCS1-v1_5",
        hash: "SHA-256",
        modulusLength,
        publicExponent: new Uint8Array([1, 0, 1]),
      };
      return { gen: rsa, sign: rsa };
    }
  }
}

/** Build a PKCS#10 CSR. */
export async function createTestCsr(opts: TestCsrOptions = {}): Promise<TestCsr> {
  const kp = keyParams(opts.key ?? "P-256");
  const keys = (await webcrypto.subtle.generateKey(kp.gen as unknown as webcrypto.EcKeyGenParams, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    ...(opts.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ...(opts.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.emails ?? []).map((value) => ({ type: "email" as const, value })),
  ];
  const extensions: x509.Extension[] = opts.noSanExtension
    ? []
    : [new x509.SubjectAlternativeNameExtension(names, true)];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(opts.subject !== undefined ? { name: opts.subject } : {}),
    keys,
    signingAlgorithm: kp.sign,
    extensions,
  });
  let der = new Uint8Array(csr.rawData);
  if (opts.corruptSignature) {
    der = der.slice();
    const last = der.length - 1;
    der[last] = (der[last] as number) ^ 0x01;
  }
  return {
    csrPem: `${x509.PemConverter.encode(der.buffer as ArrayBuffer, "CERTIFICATE REQUEST")}\n`,
    keyPem: await privateKeyPem(keys.privateKey),
    keys,
  };
}
