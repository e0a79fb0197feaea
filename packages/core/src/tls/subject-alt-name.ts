/**
 * Parsing of Node's textual `subjectAltName` (`tls.PeerCertificate.subjectaltname`,
 * `crypto.X509Certificate.subjectAltName`). Node joins entries with `", "` and, since the
 * CVE-2021-44532 fix, prints any value holding a comma, quote, backslash or control character as a
 * JSON string (`URI:"spiffe://td/ns/a,b"`). Splitting on commas would let a crafted SAN smuggle a
 * second identity past the check, so this is a real tokenizer, not a `split(", ")`.
 */

/** One SAN entry as Node prints it: `type` is Node's label (`URI`, `DNS`, `IP Address`, `email`, …). */
export interface SubjectAltName {
  readonly type: string;
  readonly value: string;
}

/**
 * Tokenize Node's SAN text. Returns `undefined` when the text is malformed (unterminated quote,
 * entry without a type): callers treat that as "no trustworthy identity", never as "no SANs".
 */
export function parseSubjectAltName(text: string | undefined): SubjectAltName[] | undefined {
  const out: SubjectAltName[] = [];
  if (text === undefined || text === "") return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon <= i) return undefined;
    const type = text.slice(i, colon);
    if (type.includes(",") || type.includes('"')) return undefined;
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      const end = findClosingQuote(text, colon + 2);
      if (end < 0) return undefined;
      try {
        value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      } catch {
        return undefined;
      }
      next = end + 1;
    } else {
      const comma = text.indexOf(", ", colon + 1);
      next = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, next);
    }
    out.push({ type, value });
    if (next === text.length) break;
    if (text.slice(next, next + 2) !== ", ") return undefined;
    i = next + 2;
  }
  return out;
}

function findClosingQuote(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === '"') return j;
  }
  return -1;
}

/** Anything Node hands out as a certificate: `tls.PeerCertificate` or `crypto.X509Certificate`. */
export type CertificateLike =
  | { readonly subjectaltname?: string | undefined }
  | { readonly subjectAltName?: string | undefined };

/** The SAN text of either certificate shape (`undefined` when the certificate has no SANs). */
export function subjectAltNameText(cert: CertificateLike): string | undefined {
  if ("subjectaltname" in cert) return cert.subjectaltname;
  if ("subjectAltName" in cert) return cert.subjectAltName;
  return undefined;
}

/**
 * All URI SAN values of a certificate (SPIFFE IDs are URI SANs). `undefined` when the SAN text is
 * malformed, so a verifier can fail closed.
 */
export function uriSansOf(cert: CertificateLike): string[] | undefined {
  const sans = parseSubjectAltName(subjectAltNameText(cert));
  return sans?.filter((s) => s.type === "URI").map((s) => s.value);
}
