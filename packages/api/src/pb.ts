/**
 * Generated protobuf (wire) types, one namespace per proto package. Only wire boundaries import
 * this entry point (`@ambit/api/pb`): xDS client/server, translators, the CA and ZDS codecs.
 * Everything else works with the domain types exported from `@ambit/api`.
 */

export * as waypoint from "./gen/ambit/waypoint/waypoint_pb.js";
export * as envoyCore from "./gen/envoy/config/core/v3/base_pb.js";
export * as ads from "./gen/envoy/service/discovery/v3/ads_pb.js";
export * as discovery from "./gen/envoy/service/discovery/v3/discovery_pb.js";
export * as rpcStatus from "./gen/google/rpc/status_pb.js";
export * as ca from "./gen/istio/ca/ca_pb.js";
export * as security from "./gen/istio/security/authorization_pb.js";
export * as workload from "./gen/istio/workload/workload_pb.js";
export * as zds from "./gen/istio/zds/zds_pb.js";
