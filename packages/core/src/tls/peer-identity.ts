/**
 * SPIFFE peer verification for HBONE, after ztunnel's `IdentityVerifier` (client side) and
 * `TrustDomainVerifier` (server side) — wire-spec §1.2. Chain validation against the roots is done
 * by OpenSSL during the handshake; these functions check the identity part. They return results
 * instead of throwing so callers can attach the reason to an access log or a connection error.
 */
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { Identity } from "@ambit/api";
import { formatIdentity, identityEquals, tryParseIdentity } from "@ambit/api";
import { CodedError } from "../errors.js";
import { type CertificateLike, uriSansOf } from "./subject-alt-name.js";

export type PeerVerifyErrorCode =
  | "no_peer_certificate"
  | "untrusted_chain"
  | "malformed_san"
  | "no_spiffe_identity"
  | "identity_mismatch"
  | "trust_domain_mismatch";

/** Outcome of a peer identity check; `presented` lists the peer's URI SANs for logs. */
export type PeerVerification =
  | { readonly ok: true; readonly identity: Identity; readonly presented: readonly string[] }
  | {
      readonly ok: false;
      readonly code: PeerVerifyErrorCode;
      readonly reason: string;
      readonly presented: readonly string[];
    };

/** Error form of a failed {@link PeerVerification}, for `checkServerIdentity` and socket errors. */
export class PeerVerifyError extends CodedError<PeerVerifyErrorCode> {
  override readonly name = "PeerVerifyError";
  constructor(
    code: PeerVerifyErrorCode,
    message: string,
    readonly presented: readonly string[],
  ) {
    super(code, message);
  }

  static fromResult(r: PeerVerification & { ok: false }): PeerVerifyError {
    return new PeerVerifyError(r.code, r.reason, r.presented);
  }
}

type PeerCert = CertificateLike | null | undefined;

function fail(
  code: PeerVerifyErrorCode,
  reason: string,
  presented: readonly string[] = [],
): PeerVerification {
  return { ok: false, code, reason, presented };
}

function isEmptyPeerCert(cert: PeerCert): cert is null | undefined {
  if (cert === null || cert === undefined) return true;
  // tls.TLSSocket#getPeerCertificate() returns {} (not null) when the peer sent nothing.
  return !(cert instanceof X509Certificate) && Object.keys(cert).length === 0;
}

/** Parse the certificate's SPIFFE identities, or the failure that prevents it. */
function identitiesOf(cert: PeerCert): { ids: Identity[]; presented: string[] } | PeerVerification {
  if (isEmptyPeerCert(cert)) {
    return fail("no_peer_certificate", "peer verification: peer presented no certificate");
  }
  const uris = uriSansOf(cert);
  if (uris === undefined) return fail("malformed_san", "peer verification: unparseable subjectAltName");
  const ids: Identity[] = [];
  for (const u of uris) {
    const id = tryParseIdentity(u);
    if (id) ids.push(id);
  }
  if (ids.length === 0) {
    return fail("no_spiffe_identity", "peer verification: certificate has no SPIFFE URI SAN", uris);
  }
  return { ids, presented: uris };
}

/**
 * Client side: at least one SPIFFE URI SAN of the server's leaf must equal one of `expected`
 * (destination workload identity ++ service SANs). SNI/hostname is deliberately not checked.
 */
export function verifyServerIdentity(cert: PeerCert, expected: readonly Identity[]): PeerVerification {
  const got = identitiesOf(cert);
  if ("ok" in got) return got;
  for (const id of got.ids) {
    if (expected.some((e) => identityEquals(e, id)))
      return { ok: true, identity: id, presented: got.presented };
  }
  return fail(
    "identity_mismatch",
    `peer verification: server identity [${got.presented.join(", ")}] is not one of [${expected
      .map(formatIdentity)
      .join(", ")}]`,
    got.presented,
  );
}

/**
 * Server side: at least one client SPIFFE identity must be in our trust domain. Per-identity
 * decisions belong to authorization, not to the TLS layer. Returns the first matching identity.
 */
export function verifyClientTrustDomain(cert: PeerCert, trustDomain: string): PeerVerification {
  const got = identitiesOf(cert);
  if ("ok" in got) return got;
  const id = got.ids.find((i) => i.trustDomain === trustDomain);
  if (id) return { ok: true, identity: id, presented: got.presented };
  return fail(
    "trust_domain_mismatch",
    `peer verification: client identity [${got.presented.join(", ")}] is not in trust domain ${trustDomain}`,
    got.presented,
  );
}

/**
 * Full server-side check of an accepted HBONE connection, to call on the socket's `secure` event.
 * Node enforces `rejectUnauthorized` only for sockets accepted by a `tls.Server`; a standalone
 * server `TLSSocket` (which HBONE uses so rotated certificates apply per connection) completes the
 * handshake even when the client chain is expired or untrusted, and leaves `authorized` unset.
 * The chain result OpenSSL computed is read here (`verifyError()` on the socket handle, the same
 * call `tls.Server` makes); if that internal is ever missing we fail closed.
 */
export function verifyHboneClient(socket: TLSSocket, trustDomain: string): PeerVerification {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (typeof handle?.verifyError !== "function") {
    return fail("untrusted_chain", "peer verification: TLS handle gone or chain result unavailable");
  }
  const err = handle.verifyError();
  if (err) {
    const code = (err as { code?: unknown }).code;
    return fail(
      "untrusted_chain",
      `peer verification: client chain rejected: ${String(code ?? err.message)}`,
    );
  }
  return verifyClientTrustDomain(socket.getPeerCertificate(), trustDomain);
}
