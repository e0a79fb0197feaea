/**
 * @peculiar/x509 needs the reflect-metadata polyfill before it loads and a WebCrypto provider.
 * Import this module (first) instead of `@peculiar/x509` directly.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
