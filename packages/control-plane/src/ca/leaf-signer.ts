/**
 * Leaf certificates: workload leaves (URI SAN = the identity only, EKU serverAuth + clientAuth,
 * empty subject, SAN critical as RFC 5280 requires for empty subjects) and the control plane's
 * own serving certificate (DNS + IP SANs, EKU serverAuth). Never outlives the signer.
 */
import type { CaMaterial } from "./ca-material.js";
import { randomSerial } from "./ca-material.js";
import { certPem, x509 } from "./x509-setup.js";

/** What to certify. */
export interface LeafRequest {
  readonly publicKey: x509.PublicKey | CryptoKeyLike;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `workload`: serverAuth + clientAuth (HBONE is mTLS both ways); `server`: serverAuth only. */
  readonly usage: "workload" | "server";
}

type CryptoKeyLike = import("./x509-setup.js").CryptoKey;

export interface SignedLeaf {
  readonly pem: string;
  /** Lowercase hex, as the config dump shows it. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Sign one leaf with the CA's signer key. */
export async function signLeaf(ca: CaMaterial, req: LeafRequest): Promise<SignedLeaf> {
  const names: x509.JsonGeneralName[] = [
    ...(req.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ...(req.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(req.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const ekus =
    req.usage === "workload"
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.serverAuth];
  const notAfter = new Date(Math.min(req.notAfter.getTime(), ca.signerCert.notAfter.getTime()));
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: "",
    issuer: ca.signerCert.subjectName.toString(),
    publicKey: req.publicKey,
    signingKey: ca.signerKey,
    signingAlgorithm: ca.signingAlgorithm,
    notBefore: req.notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(ekus),
      new x509.SubjectAlternativeNameExtension(names, true),
      ca.authorityKeyId,
    ],
  });
  return { pem: certPem(cert), serial, notBefore: cert.notBefore, notAfter: cert.notAfter };
}
