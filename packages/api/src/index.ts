export type { ClientAddr, OrigDstAddr, ServerAddr, SocketAddress } from "./address.js";
export {
  canonicalIp,
  clientAddr,
  formatSocketAddress,
  ipFamily,
  networkAddressKey,
  origDstAddr,
  parseSocketAddress,
  serverAddr,
  socketAddress,
} from "./address.js";
export type { Identity, IdentityErrorCode } from "./identity.js";
export {
  DEFAULT_TRUST_DOMAIN,
  formatIdentity,
  IdentityError,
  identityEquals,
  makeIdentity,
  parseIdentity,
  principalOf,
  tryParseIdentity,
} from "./identity.js";
export type {
  AuthorizationPolicy,
  Cidr,
  PolicyAction,
  PolicyClause,
  PolicyMatch,
  PolicyRule,
  PolicyScope,
  ServiceAccountMatch,
  StringMatch,
} from "./model/authorization.js";
export { policyKey } from "./model/authorization.js";
export type { HealthPolicy, LoadBalancingMode, Service } from "./model/service.js";
export { serviceKey } from "./model/service.js";
export type {
  AppProtocol,
  GatewayAddress,
  Locality,
  NetworkMode,
  ServicePort,
  TunnelProtocol,
  Workload,
  WorkloadStatus,
  WorkloadType,
} from "./model/workload.js";
export { IMPERSONATED_IDENTITY_KEY, NODE_AUTHORIZATION_HEADER, NODE_NAME_HEADER } from "./node-credential.js";
export type { NodePodRecord, NodePodsFile } from "./node-pods.js";
export { DATAPLANE_MODE_LABEL, isPodEnrolled } from "./node-pods.js";
export type { PortName } from "./ports.js";
export {
  ILLEGAL_TARGET_PORTS,
  INPOD_ROUTE_TABLE,
  MARK_MASK,
  Ports,
  PROBE_SNAT_IPV4,
  PROBE_SNAT_IPV6,
  TPROXY_MARK,
  ZTUNNEL_MARK,
} from "./ports.js";
