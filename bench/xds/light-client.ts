// A protocol-complete but CPU-light delta ADS client for the benchmark: it subscribes, ACKs every
// response and tracks resource counts, but skips payload decoding of large responses (it only walks
// the top-level protobuf fields). 100 real ztunnels would each decode on their own CPU; here all
// clients share the benchmark machine's 2 cores with the server, so decoding would measure the
// clients, not the server.
import type * as pb from "@ambit/api/pb";
import { type DeltaRequest, deltaAdsMethod } from "@ambit/core";
import * as grpc from "@grpc/grpc-js";

/** Top-level view of a DeltaDiscoveryResponse. */
export interface LightResponse {
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: number;
  readonly removed: number;
  /** name → version, only for small responses (fully decoded). */
  readonly versions: ReadonlyMap<string, string> | undefined;
}

const FULL_DECODE_LIMIT = 64 * 1024;

function readVarint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos++] as number;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, pos];
    mul *= 128;
  }
}

export function decodeLight(b: Buffer): LightResponse {
  if (b.length <= FULL_DECODE_LIMIT) {
    const r = deltaAdsMethod.responseDeserialize(b);
    return {
      typeUrl: r.typeUrl,
      nonce: r.nonce,
      resources: r.resources.length,
      removed: r.removedResources.length,
      versions: new Map(r.resources.map((x) => [x.name, x.version])),
    };
  }
  let typeUrl = "";
  let nonce = "";
  let resources = 0;
  let removed = 0;
  let pos = 0;
  while (pos < b.length) {
    let tag: number;
    [tag, pos] = readVarint(b, pos);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      [, pos] = readVarint(b, pos);
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`);
    let len: number;
    [len, pos] = readVarint(b, pos);
    if (field === 2) resources++;
    else if (field === 6) removed++;
    else if (field === 4) typeUrl = b.toString("utf8", pos, pos + len);
    else if (field === 5) nonce = b.toString("utf8", pos, pos + len);
    pos += len;
  }
  return { typeUrl, nonce, resources, removed, versions: undefined };
}

export interface LightClientOptions {
  readonly address: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly node: pb.envoyCore.Node;
  readonly token: string;
  readonly typeUrls: readonly string[];
  readonly onResponse: (r: LightResponse) => void;
}

/** A request as a plain message object (core's serializer only reads the fields). */
function request(fields: Partial<DeltaRequest>): DeltaRequest {
  return {
    $typeName: "envoy.service.discovery.v3.DeltaDiscoveryRequest",
    typeUrl: "",
    resourceNamesSubscribe: [],
    resourceNamesUnsubscribe: [],
    resourceLocatorsSubscribe: [],
    resourceLocatorsUnsubscribe: [],
    initialResourceVersions: {},
    responseNonce: "",
    ...fields,
  };
}

/** Open one stream, subscribe wildcard to each type in order, ACK everything. */
export function startLightClient(o: LightClientOptions): () => void {
  const client = new grpc.Client(o.address, o.credentials, {
    "grpc.ssl_target_name_override": "localhost",
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_receive_message_length": 200 * 1024 * 1024,
  });
  const md = new grpc.Metadata();
  md.set("authorization", o.token);
  const call = client.makeBidiStreamRequest<DeltaRequest, LightResponse>(
    deltaAdsMethod.path,
    deltaAdsMethod.requestSerialize,
    decodeLight,
    md,
  );
  call.on("error", () => {});
  call.on("data", (r: LightResponse) => {
    call.write(request({ typeUrl: r.typeUrl, responseNonce: r.nonce }));
    o.onResponse(r);
  });
  for (const typeUrl of o.typeUrls) call.write(request({ node: o.node, typeUrl }));
  return () => {
    call.cancel();
    client.close();
  };
}
