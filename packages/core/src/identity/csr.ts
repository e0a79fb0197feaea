/**
 * Per-identity key and CSR, as ztunnel builds them (wire-spec §4): a fresh ECDSA P-256 key for
 * every request (so a renewal also rotates the key), SHA-256 signature, empty subject and a single
 * critical URI SAN holding the SPIFFE ID.
 */
import type { Identity } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { type CryptoKeyPair, subtle, x509 } from "./x509-setup.js";

export interface WorkloadCsr {
  readonly csrPem: string;
  /** PKCS#8 PEM of the new private key; never leaves this process. */
  readonly privateKeyPem: string;
  /** DER SubjectPublicKeyInfo, to check that the returned leaf certifies our key. */
  readonly publicKeySpki: Buffer;
}

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** Generate a key pair and a CSR for `identity`. */
export async function createWorkloadCsr(identity: Identity): Promise<WorkloadCsr> {
  const keys = (await subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: formatIdentity(identity) }], true),
    ],
  });
  const [pkcs8, spki] = await Promise.all([
    subtle.exportKey("pkcs8", keys.privateKey),
    subtle.exportKey("spki", keys.publicKey),
  ]);
  return {
    csrPem: `${csr.toString("pem")}\n`,
    privateKeyPem: `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`,
    publicKeySpki: Buffer.from(spki),
  };
}
