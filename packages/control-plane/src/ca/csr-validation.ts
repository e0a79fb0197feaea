/**
 * CSR validation, a pure decision over the PEM and the requested identity: the signature must
 * verify, the SAN extension must hold exactly one name, a URI equal to the requested SPIFFE ID
 * (no DNS, IP, e-mail or second URI may ride along), and the key must be P-256, P-384 or
 * RSA ≥ 2048. The subject is ignored: issued leaves carry the SAN only.
 */
import { createPublicKey } from "node:crypto";
import type { Identity } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { x509 } from "./x509-setup.js";

/** Key types the CA signs. */
export type CsrKeyType = "P-256" | "P-384" | `RSA-${number}`;

/** Outcome: the verified public key to certify, or the reason for INVALID_ARGUMENT. */
export type CsrCheck =
  | { readonly ok: true; readonly publicKey: x509.PublicKey; readonly keyType: CsrKeyType }
  | { readonly ok: false; readonly reason: string };

const SAN_OID = "2.5.29.17";
const MAX_CSR_PEM_BYTES = 16 * 1024;
const MAX_RSA_BITS = 8192;

function bad(reason: string): CsrCheck {
  return { ok: false, reason: `invalid CSR: ${reason}` };
}

/** Parse exactly one PEM `CERTIFICATE REQUEST`; a string reason on failure. */
export function parseCsr(pem: string): x509.Pkcs10CertificateRequest | string {
  if (pem.length > MAX_CSR_PEM_BYTES) return "invalid CSR: larger than 16 KiB";
  const blocks =
    pem.match(
      /-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]*?-----END (NEW )?CERTIFICATE REQUEST-----/g,
    ) ?? [];
  const count = blocks.length;
  if (count !== 1) return `invalid CSR: expected one PEM CERTIFICATE REQUEST block, found ${count}`;
  try {
    return new x509.Pkcs10CertificateRequest(
      (blocks[0] as string).replace(/NEW CERTIFICATE/g, "CERTIFICATE"),
    );
  } catch (e) {
    return `invalid CSR: not a PKCS#10 request (${(e as Error).message})`;
  }
}

/** The SAN names of a CSR, or a reason when the extension is absent, repeated or unparseable. */
export function csrSubjectAltNames(
  csr: x509.Pkcs10CertificateRequest,
): { type: string; value: string }[] | string {
  const sans = csr.extensions.filter((e) => e.type === SAN_OID);
  if (sans.length === 0) return "invalid CSR: no subjectAltName extension";
  if (sans.length > 1) return "invalid CSR: more than one subjectAltName extension";
  try {
    const ext = new x509.SubjectAlternativeNameExtension((sans[0] as x509.Extension).rawData);
    return ext.names.items.map((n) => ({ type: n.type, value: n.value }));
  } catch (e) {
    return `invalid CSR: unsupported subjectAltName (${(e as Error).message})`;
  }
}

/** The key's type if the CA signs it, else why not. */
function keyTypeOf(
  publicKey: x509.PublicKey,
): { ok: true; type: CsrKeyType } | { ok: false; reason: string } {
  let k: ReturnType<typeof createPublicKey>;
  try {
    k = createPublicKey({ key: Buffer.from(publicKey.rawData), format: "der", type: "spki" });
  } catch {
    return { ok: false, reason: "unreadable public key" };
  }
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === "ec") {
    if (d.namedCurve === "prime256v1") return { ok: true, type: "P-256" };
    if (d.namedCurve === "secp384r1") return { ok: true, type: "P-384" };
    return { ok: false, reason: `EC curve ${d.namedCurve ?? "unknown"} not allowed (P-256 or P-384)` };
  }
  if (k.asymmetricKeyType === "rsa") {
    const bits = d.modulusLength ?? 0;
    if (bits < 2048) return { ok: false, reason: `RSA key of ${bits} bits is too small (minimum 2048)` };
    if (bits > MAX_RSA_BITS)
      return { ok: false, reason: `RSA key of ${bits} bits is too large (maximum ${MAX_RSA_BITS})` };
    return { ok: true, type: `RSA-${bits}` };
  }
  return {
    ok: false,
    reason: `key type ${k.asymmetricKeyType ?? "unknown"} not allowed (P-256, P-384 or RSA>=2048)`,
  };
}

/**
 * Decide whether `pem` is an acceptable CSR for `requested`. Order: structure, SANs, key type,
 * then the (costly) signature check, so malformed input is rejected cheaply.
 */
export async function checkCsr(pem: string, requested: Identity): Promise<CsrCheck> {
  const csr = parseCsr(pem);
  if (typeof csr === "string") return { ok: false, reason: csr };
  const names = csrSubjectAltNames(csr);
  if (typeof names === "string") return { ok: false, reason: names };
  const want = formatIdentity(requested);
  const uris = names.filter((n) => n.type === "url");
  if (uris.length !== 1) return bad(`expected exactly one URI SAN, found ${uris.length}`);
  if (names.length !== 1) {
    const extra = names.filter((n) => n.type !== "url").map((n) => `${n.type}:${n.value}`);
    return bad(`only the SPIFFE URI SAN is allowed, found extra ${extra.join(", ")}`);
  }
  const got = (uris[0] as { value: string }).value;
  if (got !== want) return bad(`URI SAN ${JSON.stringify(got)} does not match requested identity ${want}`);
  const key = keyTypeOf(csr.publicKey);
  if (!key.ok) return bad(key.reason);
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) return bad("signature does not verify");
  return { ok: true, publicKey: csr.publicKey, keyType: key.type };
}
