export type { ConnectionInfo, TrackedConnection } from "./connection-manager.js";
export { ConnectionManager } from "./connection-manager.js";
export { hboneInboundHandler, plaintextInboundHandler, serveInbound } from "./inbound.js";
export type { InboundAuthzInput, InboundInput, InboundRequest } from "./inbound-request.js";
export { authorizeInbound, buildInboundRequest } from "./inbound-request.js";
export type { CertProvider, ProxyLookup } from "./lookup.js";
export { outboundHandler } from "./outbound.js";
export type { OutboundOptions, OutboundRequest } from "./outbound-request.js";
export { buildOutboundRequest } from "./outbound-request.js";
export type { SocketPipeResult } from "./pipe-sockets.js";
export { pipeSockets } from "./pipe-sockets.js";
export type { PodNetwork } from "./pod-network.js";
export { hostPodNetwork, netnsPodNetwork } from "./pod-network.js";
export type { ProxyErrorCode, ResponseFlags } from "./proxy-error.js";
export { PROXY_ERRORS, ProxyError } from "./proxy-error.js";
export type {
  InboundResult,
  LocalInbound,
  LocalInboundRequest,
  PodContext,
  ProxyInputs,
} from "./proxy-inputs.js";
export { LocalInboundRegistry } from "./proxy-inputs.js";
export type { ProxySet, ProxySetOptions } from "./proxy-set.js";
export { createPodProxyFactory, createProxySet, findPodWorkload } from "./proxy-set.js";
