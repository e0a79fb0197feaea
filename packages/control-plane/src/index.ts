/** Placeholder until this package's issue lands; see ARCHITECTURE.md. */
export const PACKAGE = "@ambit/control-plane";
// Identity and CA (issue 3): node authentication shared by CA and xDS, the CA and its gRPC service.
export type { AuthErrorCode, NodeAuthenticator, NodeCaller, NodeCredential } from "./auth/index.js";
export {
  AuthError,
  createLocalNodeAuthenticator,
  createNodeCredential,
  LocalNodeAuthenticator,
  removeNodeCredential,
} from "./auth/index.js";
export type {
  CaErrorCode,
  CaFiles,
  CaServiceOptions,
  CaServiceRegistration,
  CertificateAuthorityOptions,
  IsIdentityOnNode,
  IssuedWorkloadCertificate,
  ServingCertificate,
  ServingCertificateOptions,
} from "./ca/index.js";
export { CaError, CertificateAuthority, caServiceDefinition, createCaService } from "./ca/index.js";
export type { GatewayCondition, WaypointStatus } from "./controller/waypoint-status.js";
export { waypointConditions, waypointStatus, waypointStatuses } from "./controller/waypoint-status.js";
export type { MeshConfig } from "./model/mesh-config.js";
export { DEFAULT_MESH_CONFIG, meshConfig } from "./model/mesh-config.js";
export type { BuildSnapshotOptions, ConfigSnapshot } from "./model/snapshot.js";
export { buildSnapshot } from "./model/snapshot.js";
export type { SnapshotBuilderOptions, SnapshotListener } from "./model/snapshot-builder.js";
export { createSnapshotBuilder, SnapshotBuilder } from "./model/snapshot-builder.js";
export { checkSnapshot } from "./model/snapshot-check.js";
export type { ControlPlaneServerErrorCode, ControlPlaneServerOptions } from "./server/index.js";
export { ControlPlaneServer, ControlPlaneServerError } from "./server/index.js";
export { AggregateSource, createAggregateSource } from "./sources/aggregate-source.js";
// Config sources, snapshot, translation and status (issue 4, first half).
export type {
  AuthorizationPolicyObject,
  ConfigKey,
  ConfigKind,
  ConfigObject,
  GatewayObject,
  HTTPRouteObject,
  NamespaceObject,
  PeerAuthenticationObject,
  PodObject,
  RequestAuthenticationObject,
  ServiceObject,
  VirtualServiceObject,
} from "./sources/config-object.js";
export { configKey, keyOf } from "./sources/config-object.js";
export type { ConfigSource, SourceChange } from "./sources/config-source.js";
export type { FileSourceErrorCode, FileSourceOptions } from "./sources/file-source.js";
export { createFileSource, FileSource, FileSourceError } from "./sources/file-source.js";
export { createMemorySource, MemorySource } from "./sources/memory-source.js";
export type { ParsedDocument } from "./sources/parse-documents.js";
export { parseConfigDocuments } from "./sources/parse-documents.js";
export type { ConfigIssue, IssueCode, IssueSeverity, SourceLocation } from "./status/config-issue.js";
export { compareIssues, formatIssue } from "./status/config-issue.js";
export type { IssueFilter, StatusSummary } from "./status/config-status.js";
export { ConfigStatus, createConfigStatus } from "./status/config-status.js";
export { ADDRESS_TYPE_URL, addressGenerator } from "./translate/address-generator.js";
export {
  AUTHORIZATION_TYPE_URL,
  authorizationGenerator,
  translationIssues,
} from "./translate/authorization-generator.js";
export { GENERATORS, generateResources } from "./translate/generators.js";
export { STATIC_STRICT_POLICY } from "./translate/peer-authentication.js";
export { allTranslationIssues } from "./translate/translation-issues.js";
export type { WaypointResolution } from "./translate/waypoint-address.js";
export {
  resolvePodWaypoint,
  resolveServiceWaypoint,
  resolveWaypoint,
  waypointAddressIssues,
} from "./translate/waypoint-address.js";
export type { WaypointFor, WaypointRef } from "./translate/waypoint-binding.js";
export {
  GATEWAY_NAME_LABEL,
  isWaypointGateway,
  isWaypointPod,
  isWaypointService,
  podWaypointRef,
  servedServices,
  serviceWaypointRef,
  USE_WAYPOINT_LABEL,
  USE_WAYPOINT_NAMESPACE_LABEL,
  WAYPOINT_FOR_LABEL,
  WAYPOINT_GATEWAY_CLASS,
  waypointFor,
} from "./translate/waypoint-binding.js";
export type { WaypointTranslation } from "./translate/waypoint-generator.js";
export { translateWaypoint, WAYPOINT_TYPE_URL, waypointGenerator } from "./translate/waypoint-generator.js";
export { podUid } from "./translate/workload.js";
export type {
  ServiceRegistry,
  XdsAuthenticator,
  XdsServerOptions,
  XdsServerStatus,
  XdsSnapshotResources,
  XdsStreamStatus,
  XdsTypeStatus,
} from "./xds-server/index.js";
export { XdsServer } from "./xds-server/index.js";
