import { CodedError } from "../errors.js";

/**
 * Why a workload certificate could not be obtained or used, a closed set:
 * `ca_unavailable` (transport, deadline; retried), `ca_rejected` (the CA said no: unauthenticated,
 * permission denied, invalid argument), `bad_response` (unparseable chain, no roots),
 * `identity_mismatch` / `key_mismatch` (the CA returned a leaf for another identity or key),
 * `unavailable` (no valid certificate right now; a retry is scheduled), `closed`.
 */
export type CertificateErrorCode =
  | "ca_unavailable"
  | "ca_rejected"
  | "bad_response"
  | "identity_mismatch"
  | "key_mismatch"
  | "unavailable"
  | "closed";

export class CertificateError extends CodedError<CertificateErrorCode> {
  override readonly name = "CertificateError";
}
