/**
 * A usable workload certificate: the PEMs, the parsed validity, and ONE `tls.SecureContext` built
 * when the certificate arrives and shared by every connection that presents it. Construction is
 * where the CA's answer is checked: leaf identity must equal the requested identity (ztunnel's
 * rule) and the leaf must certify the key we generated.
 */
import { X509Certificate } from "node:crypto";
import type { SecureContext } from "node:tls";
import type { Identity } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { createHboneSecureContext, uriSansOf } from "../tls/index.js";
import { CertificateError } from "./certificate-error.js";
import type { WorkloadCsr } from "./csr.js";

export interface WorkloadCertificate {
  readonly identity: Identity;
  /** Leaf first, then intermediates (what the TLS endpoint presents). */
  readonly certChainPem: readonly string[];
  /** Root bundle from the CA response (HBONE peers are verified against it). */
  readonly rootsPem: string;
  readonly privateKeyPem: string;
  /** Lowercase hex serial of the leaf. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Built once here; pass it to `hboneClientOptions` / `hboneServerSocketOptions`. */
  readonly secureContext: SecureContext;
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new CertificateError("bad_response", `certificate response: ${what} is not a certificate`, {
      cause: e,
    });
  }
}

/** Check a `cert_chain` response for `identity` and the key of `csr`, and build the certificate. */
export function workloadCertificateFromChain(
  identity: Identity,
  certChain: readonly string[],
  csr: Pick<WorkloadCsr, "privateKeyPem" | "publicKeySpki">,
): WorkloadCertificate {
  if (certChain.length < 2) {
    throw new CertificateError(
      "bad_response",
      `certificate response: expected leaf and roots, got ${certChain.length} element(s)`,
    );
  }
  const leafPem = certChain[0] as string;
  const rootsPem = certChain[certChain.length - 1] as string;
  const leaf = parse(leafPem, "leaf");
  parse(rootsPem, "root bundle");
  const want = formatIdentity(identity);
  const uris = uriSansOf(leaf) ?? [];
  if (uris.length !== 1 || uris[0] !== want) {
    throw new CertificateError(
      "identity_mismatch",
      `certificate response: leaf identity [${uris.join(", ")}] does not equal requested ${want}`,
    );
  }
  const leafKey = leaf.publicKey.export({ type: "spki", format: "der" });
  if (!leafKey.equals(csr.publicKeySpki)) {
    throw new CertificateError(
      "key_mismatch",
      `certificate response: leaf for ${want} does not certify our key`,
    );
  }
  const chain = certChain.slice(0, -1).map((p) => (p.endsWith("\n") ? p : `${p}\n`));
  let secureContext: SecureContext;
  try {
    secureContext = createHboneSecureContext({
      certChain: chain.join(""),
      privateKey: csr.privateKeyPem,
      roots: rootsPem,
    });
  } catch (e) {
    throw new CertificateError("bad_response", `certificate response: unusable chain for ${want}`, {
      cause: e,
    });
  }
  return {
    identity,
    certChainPem: chain,
    rootsPem,
    privateKeyPem: csr.privateKeyPem,
    serial: leaf.serialNumber.toLowerCase(),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    secureContext,
  };
}
