export { CA_DIR_FILES, caFilesInDir, readAdditionalRoots } from "./ca-dir.js";
export type { CaErrorCode } from "./ca-error.js";
export { CaError } from "./ca-error.js";
export type { CaFiles, CaMaterial } from "./ca-material.js";
export { loadCaFromFiles, withAdditionalRoots } from "./ca-material.js";
export { loadOrCreateRoot } from "./ca-root.js";
export type { CaServiceOptions, CaServiceRegistration } from "./ca-service.js";
export { CREATE_CERTIFICATE_PATH, caServiceDefinition, createCaService } from "./ca-service.js";
export type {
  CertificateAuthorityOptions,
  IssuedWorkloadCertificate,
  ServingCertificate,
  ServingCertificateOptions,
} from "./certificate-authority.js";
export { CertificateAuthority } from "./certificate-authority.js";
export type { CsrCheck, CsrKeyType } from "./csr-validation.js";
export { checkCsr } from "./csr-validation.js";
export type { IsIdentityOnNode, NodeAuthorization } from "./node-authorization.js";
export { authorizeNode } from "./node-authorization.js";
export type { TtlDecision, TtlPolicy } from "./ttl-policy.js";
export { DEFAULT_MAX_WORKLOAD_TTL_SECONDS, DEFAULT_WORKLOAD_TTL_SECONDS, decideTtl } from "./ttl-policy.js";
