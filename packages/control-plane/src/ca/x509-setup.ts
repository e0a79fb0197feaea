/**
 * @peculiar/x509 needs the reflect-metadata polyfill before it loads and a WebCrypto provider.
 * Import this module (first) instead of `@peculiar/x509` directly.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export const subtle = webcrypto.subtle;

/** PEM with a trailing newline so bundles concatenate cleanly. */
export function certPem(cert: x509.X509Certificate): string {
  const pem = cert.toString("pem");
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** Split a PEM bundle into its CERTIFICATE blocks (each with a trailing newline). */
export function splitPemCertificates(bundle: string): string[] {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => `${b}\n`);
}
