// Certificate fetching lives in @ambit/core (shared with the waypoint); ztunnel keeps this folder
// as its import point so its other modules do not change.
export type {
  BackoffPolicy,
  CaClientOptions,
  CertificateErrorCode,
  CertificateSigner,
  CertificateState,
  CertificateStateDump,
  SecretManagerOptions,
  WorkloadCertificate,
  WorkloadCsr,
} from "@ambit/core";
export {
  backoffDelay,
  CaClient,
  CertificateError,
  createWorkloadCsr,
  DEFAULT_BACKOFF,
  refreshAt,
  SecretManager,
  workloadCertificateFromChain,
} from "@ambit/core";
