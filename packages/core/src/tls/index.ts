export type { TlsMaterial } from "./hbone-tls.js";
export {
  createHboneSecureContext,
  HBONE_ALPN,
  HBONE_TLS_CIPHERS,
  hboneClientOptions,
  hboneServerSocketOptions,
} from "./hbone-tls.js";
export type { PeerVerification, PeerVerifyErrorCode } from "./peer-identity.js";
export {
  PeerVerifyError,
  verifyClientTrustDomain,
  verifyHboneClient,
  verifyServerIdentity,
} from "./peer-identity.js";
export type { CertificateLike, SubjectAltName } from "./subject-alt-name.js";
export { parseSubjectAltName, subjectAltNameText, uriSansOf } from "./subject-alt-name.js";
