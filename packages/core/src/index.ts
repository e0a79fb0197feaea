export { assertNever, CodedError, errnoCode, errorMessage } from "./errors.js";
export type { Logger, LogLevel, LogSink } from "./logger.js";
export { createLogger, setLogBase, setLogLevel, setLogSink, setTracers } from "./logger.js";
export type {
  CertificateLike,
  PeerVerification,
  PeerVerifyErrorCode,
  SubjectAltName,
  TlsMaterial,
} from "./tls/index.js";
export {
  createHboneSecureContext,
  HBONE_ALPN,
  HBONE_TLS_CIPHERS,
  hboneClientOptions,
  hboneServerSocketOptions,
  PeerVerifyError,
  parseSubjectAltName,
  subjectAltNameText,
  uriSansOf,
  verifyClientTrustDomain,
  verifyHboneClient,
  verifyServerIdentity,
} from "./tls/index.js";
export type { ZdsDatagram, ZdsErrorCode, ZdsRequest, ZdsWorkloadInfo } from "./zds/index.js";
export {
  decodeZdsAck,
  decodeZdsHello,
  decodeZdsRequest,
  encodeZdsAck,
  encodeZdsHello,
  encodeZdsRequest,
  nextZdsBackoff,
  ZDS_ACK_TIMEOUT_MS,
  ZDS_MAX_DATAGRAM,
  ZDS_RECONNECT_INITIAL_MS,
  ZDS_RECONNECT_MAX_MS,
  ZDS_RETRY_INTERVAL_MS,
  ZdsError,
} from "./zds/index.js";
