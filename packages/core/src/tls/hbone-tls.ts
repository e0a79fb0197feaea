/**
 * TLS settings shared by both HBONE ends (wire-spec §1.1): TLS 1.3 only, the two AES-GCM suites,
 * ALPN exactly `h2`, mandatory client certificates, no SNI, no resumption. A SecureContext is
 * expensive (≈3× slower handshakes when built per connection), so it is built once per workload
 * certificate and the option builders below only reference it.
 */
import { constants } from "node:crypto";
import type { ConnectionOptions, SecureContext, TLSSocketOptions } from "node:tls";
import { createSecureContext } from "node:tls";
import type { Identity } from "@ambit/api";
import { PeerVerifyError, verifyServerIdentity } from "./peer-identity.js";

/** TLS 1.3 suites ztunnel allows (no CHACHA20), in preference order. */
export const HBONE_TLS_CIPHERS = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";
/** Both ends offer exactly `h2`. */
export const HBONE_ALPN: readonly string[] = Object.freeze(["h2"]);

/** PEM material of one workload certificate. */
export interface TlsMaterial {
  /** Leaf first, then intermediates (roots may follow; OpenSSL ignores self-signed extras). */
  readonly certChain: string;
  /** PKCS#8 (or SEC1) private key of the leaf. */
  readonly privateKey: string;
  /** Trust bundle: one or more roots, concatenated. */
  readonly roots: string;
}

/**
 * Build the context for one workload certificate. The same context serves as client and server
 * context: it carries the leaf, its key and the roots peers are verified against.
 */
export function createHboneSecureContext(m: TlsMaterial): SecureContext {
  return createSecureContext({
    cert: m.certChain,
    key: m.privateKey,
    ca: m.roots,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    ciphers: HBONE_TLS_CIPHERS,
    // No session tickets: a resumed session would skip the identity checks of a full handshake.
    secureOptions: constants.SSL_OP_NO_TICKET,
  });
}

/**
 * Options for `tls.connect` on the HBONE client side. The chain is verified against the roots
 * in `secureContext`; instead of a hostname check, the server's SPIFFE identity must be one of
 * `expected`, otherwise the socket errors with a {@link PeerVerifyError}. No SNI is sent when
 * connecting to an IP (ztunnel sends none either).
 */
export function hboneClientOptions(
  secureContext: SecureContext,
  expected: readonly Identity[],
): ConnectionOptions {
  return {
    secureContext,
    ALPNProtocols: [...HBONE_ALPN],
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      const r = verifyServerIdentity(cert, expected);
      return r.ok ? undefined : PeerVerifyError.fromResult(r);
    },
  };
}

/**
 * Options for `new tls.TLSSocket(rawSocket, …)` on the HBONE server side. Wrapping accepted
 * sockets per connection (instead of `tls.createServer`, whose context is fixed at creation) lets
 * a rotated certificate take effect for the next connection: pass the current context each time.
 * Client certificates are required, but Node does NOT enforce the chain result for a standalone
 * server socket: call `verifyHboneClient(socket, trustDomain)` on `secure` and destroy on failure.
 */
export function hboneServerSocketOptions(secureContext: SecureContext): TLSSocketOptions {
  return {
    isServer: true,
    secureContext,
    ALPNProtocols: [...HBONE_ALPN],
    requestCert: true,
    rejectUnauthorized: true,
  };
}
