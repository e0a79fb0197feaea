/**
 * The CA's signing material: a signer certificate + key, the intermediates up to the root, and the
 * trust bundle (one or more roots, so a new root can be added before the old one is retired).
 * Two sources: a self-signed ECDSA P-256 root persisted in the state directory (`ca-root.ts`), or
 * operator-provided files in Istio's `cacerts` layout
 * (`ca-cert.pem`, `ca-key.pem`, `root-cert.pem`, optional `cert-chain.pem`).
 */
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createLogger } from "@ambit/core";
import { CaError } from "./ca-error.js";
import { type CryptoKey, splitPemCertificates, subtle, x509 } from "./x509-setup.js";

const log = createLogger("ca.material");

/** Everything needed to sign leaves and to tell clients what to trust. */
export interface CaMaterial {
  readonly signerCert: x509.X509Certificate;
  readonly signerKey: CryptoKey;
  /** WebCrypto signature algorithm matching the signer key. */
  readonly signingAlgorithm: Algorithm & Record<string, unknown>;
  /** Certificates between a leaf and the root, signer first; empty when the signer is the root. */
  readonly intermediatesPem: readonly string[];
  /** The trust bundle: every root, the signer's own root first. */
  readonly rootsPem: readonly string[];
  /** Authority key identifier of the signer, computed once (it is in every leaf). */
  readonly authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

type Algorithm = { name: string };

/** Paths in Istio's plugged-in CA layout. */
export interface CaFiles {
  /** Signer certificate (root or intermediate). */
  readonly certFile: string;
  /** Signer private key (PKCS#8, SEC1 or PKCS#1 PEM). */
  readonly keyFile: string;
  /** Root(s) of trust; several concatenated roots form the bundle. */
  readonly rootsFile: string;
  /** Optional: the signer followed by its intermediates (roots in it are ignored). */
  readonly chainFile?: string;
}

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

function algorithmForKeyPem(keyPem: string): {
  importAlg: Record<string, unknown>;
  signAlg: Algorithm & Record<string, unknown>;
} {
  const k = createPrivateKey(keyPem);
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === "ec" && d.namedCurve === "prime256v1") {
    return { importAlg: { ...P256 }, signAlg: { name: "ECDSA", hash: "SHA-256" } };
  }
  if (k.asymmetricKeyType === "ec" && d.namedCurve === "secp384r1") {
    return { importAlg: { name: "ECDSA", namedCurve: "P-384" }, signAlg: { name: "ECDSA", hash: "SHA-384" } };
  }
  if (k.asymmetricKeyType === "rsa" && (d.modulusLength ?? 0) >= 2048) {
    const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { importAlg: alg, signAlg: alg };
  }
  throw new CaError(
    "bad_ca_material",
    `ca material: unsupported signer key ${k.asymmetricKeyType} ${JSON.stringify(d)} (want P-256, P-384 or RSA>=2048)`,
  );
}

async function importSignerKey(
  keyPem: string,
): Promise<{ key: CryptoKey; signAlg: CaMaterial["signingAlgorithm"] }> {
  const { importAlg, signAlg } = algorithmForKeyPem(keyPem);
  const der = createPrivateKey(keyPem).export({ type: "pkcs8", format: "der" });
  const key = await subtle.importKey("pkcs8", der, importAlg as never, false, ["sign"]);
  return { key, signAlg };
}

function assertKeyMatches(certPemText: string, keyPem: string, files: CaFiles): void {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  const fromCert = new NodeX509(certPemText).publicKey.export({ type: "spki", format: "der" });
  if (!fromKey.equals(fromCert)) {
    throw new CaError(
      "bad_ca_material",
      `ca material: the private key in ${files.keyFile} does not match the certificate in ${files.certFile}`,
    );
  }
}

/** Run a parse step; a throw becomes `bad_ca_material` naming the file it came from. */
export function parsing<T>(file: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw new CaError("bad_ca_material", `ca material: ${file}: bad ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Read one CA file; failure is `bad_ca_material` naming its role and path. */
export async function readRole(file: string, role: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new CaError(
      "bad_ca_material",
      `ca material: cannot read ${role} ${file}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** Check signer → intermediates → one of the roots, CA flags and validity. */
function assertChain(signerPem: string, intermediates: readonly string[], roots: readonly string[]): void {
  if (roots.length === 0) throw new CaError("bad_ca_material", "ca material: no root certificate");
  const now = Date.now();
  const path = [signerPem, ...intermediates.slice(1)].map((p) => new NodeX509(p));
  for (const c of path) {
    if (!c.ca) throw new CaError("bad_ca_material", `ca material: ${c.subject} is not a CA certificate`);
    if (Date.parse(c.validTo) <= now)
      throw new CaError("bad_ca_material", `ca material: ${c.subject} expired`);
  }
  for (let i = 0; i + 1 < path.length; i++) {
    const [child, parent] = [path[i] as NodeX509, path[i + 1] as NodeX509];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new CaError(
        "bad_ca_material",
        `ca material: ${child.subject} is not signed by ${parent.subject}`,
      );
    }
  }
  const top = path[path.length - 1] as NodeX509;
  const anchored = roots.some((r) => {
    const root = new NodeX509(r);
    return top.raw.equals(root.raw) || (top.checkIssued(root) && top.verify(root.publicKey));
  });
  if (!anchored)
    throw new CaError("bad_ca_material", `ca material: ${top.subject} does not chain to any root`);
}

/** Load operator-provided CA files (root or intermediate signer). */
export async function loadCaFromFiles(files: CaFiles): Promise<CaMaterial> {
  const [signerText, keyPem, rootsText, chainText] = await Promise.all([
    readRole(files.certFile, "signer certificate"),
    readRole(files.keyFile, "signer key"),
    readRole(files.rootsFile, "root bundle"),
    files.chainFile ? readRole(files.chainFile, "certificate chain") : undefined,
  ]);
  return materialFromPem({ signerText, keyPem, rootsText, chainText }, files);
}

/** The PEM texts of CA material, read but not yet checked. */
export interface CaTexts {
  readonly signerText: string;
  readonly keyPem: string;
  readonly rootsText: string;
  readonly chainText: string | undefined;
}

/** Check and import CA material already read; `files` only names the sources in errors. */
export async function materialFromPem(t: CaTexts, files: CaFiles): Promise<CaMaterial> {
  const { signerText, keyPem, rootsText, chainText } = t;
  const signerPem = splitPemCertificates(signerText)[0];
  if (!signerPem) throw new CaError("bad_ca_material", `ca material: no certificate in ${files.certFile}`);
  const roots = splitPemCertificates(rootsText);
  if (roots.length === 0)
    throw new CaError("bad_ca_material", `ca material: no root certificate in ${files.rootsFile}`);
  const rawOf = (p: string) => new NodeX509(p).raw.toString("base64");
  const rootRaw = new Set(parsing(files.rootsFile, "certificate", () => roots.map(rawOf)));
  const signerIsRoot = rootRaw.has(parsing(files.certFile, "certificate", () => rawOf(signerPem)));
  // The chain a leaf carries: the signer and its intermediates, never roots (they go last, as the bundle).
  const chainPems = chainText ? splitPemCertificates(chainText) : [];
  const chain = parsing(files.chainFile ?? "", "certificate", () =>
    chainPems.filter((p) => !rootRaw.has(rawOf(p))),
  );
  if (chain.length === 0 || rawOf(chain[0] as string) !== rawOf(signerPem)) chain.unshift(signerPem);
  const intermediatesPem = signerIsRoot ? [] : chain;
  parsing(files.keyFile, "private key", () => assertKeyMatches(signerPem, keyPem, files));
  assertChain(signerPem, signerIsRoot ? [] : intermediatesPem, roots);
  const { key, signAlg } = await importSignerKey(keyPem);
  log.info("loaded CA from files", {
    signer: new NodeX509(signerPem).subject,
    roots: roots.length,
    intermediate: !signerIsRoot,
  });
  const signerCert = new x509.X509Certificate(signerPem);
  return {
    signerCert,
    authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(signerCert, false),
    signerKey: key,
    signingAlgorithm: signAlg,
    intermediatesPem,
    rootsPem: roots,
  };
}

/** Add roots to the trust bundle (root rotation: trust old and new while leaves roll over). */
export function withAdditionalRoots(m: CaMaterial, bundlePem: string): CaMaterial {
  const seen = new Set(m.rootsPem.map((r) => new NodeX509(r).fingerprint256));
  const extra: string[] = [];
  for (const r of splitPemCertificates(bundlePem)) {
    const cert = new NodeX509(r);
    if (!cert.ca)
      throw new CaError("bad_ca_material", `ca material: additional root ${cert.subject} is not a CA`);
    const fp = cert.fingerprint256;
    if (seen.has(fp)) continue;
    seen.add(fp);
    extra.push(r);
  }
  return { ...m, rootsPem: [...m.rootsPem, ...extra] };
}

/** 128-bit positive serial as hex. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString("hex");
}
