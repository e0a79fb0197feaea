/**
 * Test PKI: a throwaway CA and SPIFFE leaf certificates (ECDSA P-256, PEM out) for tests of TLS,
 * HBONE and the CA itself. Fast (a CA plus a leaf takes a few ms) and able to produce the bad
 * inputs other tests need: expired leaves, foreign trust domains, extra or missing SANs, wrong
 * key usages, intermediates.
 */
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

import type { Identity } from "@ambit/api";
import { DEFAULT_TRUST_DOMAIN, formatIdentity } from "@ambit/api";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const HOUR_MS = 3_600_000;

/** Options for one test leaf. Everything is optional; the default is a valid 1 h workload leaf. */
export interface TestLeafOptions {
  /** The SPIFFE URI SAN. A string is used verbatim (so malformed IDs can be tested). */
  readonly identity?: Identity | string;
  /** Extra URI SANs after the identity. */
  readonly extraUris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  /** Lifetime from `notBefore` (default 1 h). */
  readonly ttlMs?: number;
  /** Default: now − 1 min. */
  readonly notBefore?: Date;
  /** Shortcut: valid from 2 h ago until 1 h ago. */
  readonly expired?: boolean;
  /** Default both; `[]` omits the extension. */
  readonly extendedKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
}

/** A leaf with its key and the chain/roots a peer needs. */
export interface TestLeaf {
  readonly certPem: string;
  readonly keyPem: string;
  /** Leaf followed by the issuing intermediates (not the root): what a TLS endpoint presents. */
  readonly chainPem: string;
  /** The root of this PKI. */
  readonly rootsPem: string;
  readonly serial: string;
  readonly cert: x509.X509Certificate;
}

/** A test CA (root, or intermediate below a root). */
export interface TestPki {
  readonly trustDomain: string;
  /** This signer's certificate and PKCS#8 key. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly keys: CryptoKeyPair;
  readonly cert: x509.X509Certificate;
  /** Root certificate(s) of this PKI (for an intermediate: its root). */
  readonly rootsPem: string;
  /** Intermediates between this signer and the root, signer first (empty for a root). */
  readonly intermediatesPem: readonly string[];
  issue(opts?: TestLeafOptions): Promise<TestLeaf>;
  /**
   * Sign a PEM CSR's public key (no validation: this is a test CA). SANs come from `opts` when
   * given (`identity`, `extraUris`, …), else are copied from the CSR.
   */
  signCsr(csrPem: string, opts?: TestLeafOptions): Promise<{ certPem: string; serial: string }>;
  /** A CA certificate signed by this one, sharing the roots. */
  createIntermediate(name?: string): Promise<TestPki>;
}

/** Generate an ECDSA P-256 key pair (extractable, for PEM export). */
export async function generateTestKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** PKCS#8 PEM of a private key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n`;
}

/** PEM with a trailing newline, so concatenated bundles stay parseable. */
export function pemOf(cert: x509.X509Certificate): string {
  const pem = cert.toString("pem");
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f; // positive INTEGER
  return b.toString("hex");
}

function caExtensions(): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/** Create a root CA for `trustDomain` (default `cluster.local`). */
export async function createTestPki(
  opts: { trustDomain?: string; commonName?: string } = {},
): Promise<TestPki> {
  const trustDomain = opts.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const keys = await generateTestKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialHex(),
    name: `O=${trustDomain}, CN=${opts.commonName ?? "ambit test root"}`,
    keys,
    signingAlgorithm: EC_P256,
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + 24 * HOUR_MS),
    extensions: [...caExtensions(), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return makePki(trustDomain, cert, keys, await privateKeyPem(keys.privateKey), pemOf(cert), []);
}

function makePki(
  trustDomain: string,
  cert: x509.X509Certificate,
  keys: CryptoKeyPair,
  keyPem: string,
  rootsPem: string,
  intermediatesPem: readonly string[],
): TestPki {
  const certPem = pemOf(cert);
  const pki: TestPki = {
    trustDomain,
    certPem,
    keyPem,
    keys,
    cert,
    rootsPem,
    intermediatesPem,
    issue: (o) => issueLeaf(pki, o ?? {}),
    async signCsr(csrPem, o = {}) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      const san = csr.extensions.find((e) => e.type === "2.5.29.17");
      const csrNames = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON() : [];
      const r = await signLeaf(pki, csr.publicKey, o, o.identity === undefined ? csrNames : undefined);
      return { certPem: pemOf(r.cert), serial: r.serial };
    },
    async createIntermediate(name = "ambit test intermediate") {
      const ikeys = await generateTestKeys();
      const icert = await x509.X509CertificateGenerator.create({
        serialNumber: serialHex(),
        subject: `O=${trustDomain}, CN=${name}`,
        issuer: cert.subjectName.toString(),
        publicKey: ikeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: EC_P256,
        notBefore: new Date(Date.now() - HOUR_MS),
        notAfter: new Date(Date.now() + 12 * HOUR_MS),
        extensions: [
          ...caExtensions(),
          await x509.SubjectKeyIdentifierExtension.create(ikeys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(cert, false),
        ],
      });
      const ipem = await privateKeyPem(ikeys.privateKey);
      return makePki(trustDomain, icert, ikeys, ipem, rootsPem, [pemOf(icert), ...intermediatesPem]);
    },
  };
  return pki;
}

async function issueLeaf(ca: TestPki, o: TestLeafOptions): Promise<TestLeaf> {
  const keys = await generateTestKeys();
  const { cert, serial } = await signLeaf(ca, keys.publicKey, o, undefined);
  const certPem = pemOf(cert);
  return {
    certPem,
    keyPem: await privateKeyPem(keys.privateKey),
    chainPem: [certPem, ...ca.intermediatesPem].join(""),
    rootsPem: ca.rootsPem,
    serial,
    cert,
  };
}

async function signLeaf(
  ca: TestPki,
  publicKey: CryptoKey | x509.PublicKey,
  o: TestLeafOptions,
  namesOverride: x509.JsonGeneralName[] | undefined,
): Promise<{ cert: x509.X509Certificate; serial: string }> {
  const names: x509.JsonGeneralName[] = [];
  if (namesOverride) names.push(...namesOverride);
  else {
    const id = o.identity ?? `spiffe://${ca.trustDomain}/ns/default/sa/default`;
    names.push({ type: "url", value: typeof id === "string" ? id : formatIdentity(id) });
  }
  for (const u of o.extraUris ?? []) names.push({ type: "url", value: u });
  for (const d of o.dnsNames ?? []) names.push({ type: "dns", value: d });
  for (const ip of o.ips ?? []) names.push({ type: "ip", value: ip });
  const notBefore = o.expired
    ? new Date(Date.now() - 2 * HOUR_MS)
    : (o.notBefore ?? new Date(Date.now() - 60_000));
  const notAfter = o.expired
    ? new Date(Date.now() - HOUR_MS)
    : new Date(notBefore.getTime() + (o.ttlMs ?? HOUR_MS));
  const ekus = o.extendedKeyUsage ?? ["serverAuth", "clientAuth"];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.SubjectAlternativeNameExtension(names, true),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (ekus.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(ekus.map((e) => x509.ExtendedKeyUsage[e])));
  }
  const serial = serialHex();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: "",
    issuer: ca.cert.subjectName.toString(),
    publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_P256,
    notBefore,
    notAfter,
    extensions,
  });
  return { cert, serial };
}
