export type { DeltaRequest, DeltaResponse, DeltaResponseFrame } from "./ads-method.js";
export { adsServiceDefinition, DELTA_ADS_PATH, deltaAdsMethod } from "./ads-method.js";
export type { ControlPlaneConnectionOptions } from "./control-plane-connection.js";
export { controlPlaneConnection } from "./control-plane-connection.js";
export type {
  DeltaAdsClientOptions,
  DeltaClientEvent,
  DeltaResourceView,
  DeltaSubscription,
  DeltaTypeHandler,
  DeltaTypeStatus,
  DeltaUpdate,
  ResourceRejection,
} from "./delta-ads-client.js";
export { DeltaAdsClient, joinRejections } from "./delta-ads-client.js";
export type { ProxyNodeId, ZtunnelNodeInfo } from "./node.js";
export { buildZtunnelNode, nodeMetadata, parseProxyNodeId, ztunnelNodeId } from "./node.js";
export type { PackedResource } from "./pack-resource.js";
export { packResource } from "./pack-resource.js";
export type { DeltaResponseHeader } from "./response-encoder.js";
export { encodeDeltaResponse, encodeResource, frameResources } from "./response-encoder.js";
export type { KnownTypeUrl } from "./type-urls.js";
export { shortTypeUrl, TypeUrl, WILDCARD } from "./type-urls.js";
export type { NonceSource } from "./versions.js";
export { contentVersion, createNonceSource } from "./versions.js";
export type { XdsErrorCode } from "./xds-error.js";
export { XdsError } from "./xds-error.js";
