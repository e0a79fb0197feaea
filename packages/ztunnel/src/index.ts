/** Placeholder until this package's issue lands; see ARCHITECTURE.md. */
export const PACKAGE = "@ambit/ztunnel";
// Identity: workload certificates and the CA client live in @ambit/core; re-exported for callers
// that know them as ztunnel's.
export type {
  CaClientOptions,
  CertificateErrorCode,
  CertificateSigner,
  CertificateState,
  CertificateStateDump,
  SecretManagerOptions,
  WorkloadCertificate,
} from "@ambit/core";
export { CaClient, CertificateError, SecretManager } from "@ambit/core";
export type {
  InpodPod,
  InpodWorkloadStatus,
  PodProxyFactory,
  PodProxyHandle,
  ZdsClientOptions,
} from "./inpod/index.js";
export { InpodWorkloads, ZdsClient } from "./inpod/index.js";
export type {
  CertProvider,
  ConnectionInfo,
  InboundRequest,
  OutboundRequest,
  PodNetwork,
  ProxyErrorCode,
  ProxyInputs,
  ProxyLookup,
  ProxySet,
  ProxySetOptions,
  ResponseFlags,
} from "./proxy/index.js";
export {
  buildInboundRequest,
  buildOutboundRequest,
  ConnectionManager,
  createPodProxyFactory,
  createProxySet,
  findPodWorkload,
  hostPodNetwork,
  LocalInboundRegistry,
  netnsPodNetwork,
  PROXY_ERRORS,
  ProxyError,
} from "./proxy/index.js";
export type {
  AuthorizationDecision,
  AuthorizationRequest,
  DryRunResult,
} from "./rbac/index.js";
export { evaluateAuthorization, policyMatches } from "./rbac/index.js";
export type {
  AddressLookup,
  Endpoint,
  ProxyStateDump,
  ProxyStateView,
  StateChange,
  WorkloadPolicies,
} from "./state/index.js";
export { ProxyState } from "./state/index.js";
export type { AccessLogSink, ConnectionRecord } from "./telemetry/index.js";
export { ConnectionTelemetry, ProxyMetrics, TRAFFIC_LABELS } from "./telemetry/index.js";
export type { ZtunnelXdsClientOptions } from "./xds/index.js";
export { StateUpdater, ZtunnelXdsClient } from "./xds/index.js";
