import * as pb from "@ambit/api/pb";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";

export type DeltaRequest = pb.discovery.DeltaDiscoveryRequest;
export type DeltaResponse = pb.discovery.DeltaDiscoveryResponse;

/**
 * What the server writes: either a message, or bytes it already encoded. Pre-encoding lets the
 * server build each resource's bytes once per snapshot and splice them into every client's
 * response instead of re-serializing 10k resources per client.
 */
export type DeltaResponseFrame = DeltaResponse | Uint8Array;

/** `/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources`. */
export const DELTA_ADS_PATH = `/${pb.ads.AggregatedDiscoveryService.typeName}/DeltaAggregatedResources`;

function encodeRequest(msg: DeltaRequest): Buffer {
  const bytes = toBinary(pb.discovery.DeltaDiscoveryRequestSchema, msg);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encodeResponse(msg: DeltaResponseFrame): Buffer {
  const bytes = msg instanceof Uint8Array ? msg : toBinary(pb.discovery.DeltaDiscoveryResponseSchema, msg);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The grpc-js definition of the one ADS method ztunnel uses (delta only; SotW is not served, so
 * grpc answers it UNIMPLEMENTED). Shared by server and client so both ends agree on the codec.
 */
export const deltaAdsMethod = {
  path: DELTA_ADS_PATH,
  requestStream: true,
  responseStream: true,
  originalName: "deltaAggregatedResources",
  requestSerialize: encodeRequest,
  requestDeserialize: (buf: Buffer): DeltaRequest =>
    fromBinary(pb.discovery.DeltaDiscoveryRequestSchema, buf),
  responseSerialize: encodeResponse,
  responseDeserialize: (buf: Buffer): DeltaResponse =>
    fromBinary(pb.discovery.DeltaDiscoveryResponseSchema, buf),
} satisfies grpc.MethodDefinition<DeltaRequest, DeltaResponseFrame>;

/** Service definition for `grpc.Server.addService` (server side). */
export const adsServiceDefinition = {
  DeltaAggregatedResources: deltaAdsMethod,
} satisfies grpc.ServiceDefinition;
