import * as pb from "@ambit/api/pb";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";

/** The parts of a delta response besides its resources. */
export interface DeltaResponseHeader {
  readonly typeUrl: string;
  readonly nonce: string;
  readonly systemVersionInfo: string;
  readonly removedResources: readonly string[];
}

/** Encode one `envoy.service.discovery.v3.Resource`; the server caches the bytes per snapshot. */
export function encodeResource(res: {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  readonly resource: Any;
}): Uint8Array {
  return toBinary(
    pb.discovery.ResourceSchema,
    create(pb.discovery.ResourceSchema, {
      name: res.name,
      version: res.version,
      aliases: [...res.aliases],
      resource: res.resource,
    }),
  );
}

// DeltaDiscoveryResponse.resources is field 2, wire type 2 (length-delimited): tag byte 0x12.
const RESOURCES_TAG = 0x12;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/**
 * Frame pre-encoded resources as `resources` fields (tag, length, bytes each). Protobuf fields may
 * appear in any order and a message is the concatenation of its fields, so these bytes can be
 * appended to any response header: a server frames a full snapshot once and reuses it for every
 * client that needs everything.
 */
export function frameResources(resources: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const r of resources) total += 1 + varintSize(r.byteLength) + r.byteLength;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const r of resources) {
    out[pos++] = RESOURCES_TAG;
    pos = writeVarint(out, pos, r.byteLength);
    out.set(r, pos);
    pos += r.byteLength;
  }
  return out;
}

/**
 * Encode a `DeltaDiscoveryResponse` from a header and either pre-encoded resources or an
 * already framed body ({@link frameResources}): a memcpy per resource instead of a full
 * serialization per client.
 */
export function encodeDeltaResponse(
  header: DeltaResponseHeader,
  resources: readonly Uint8Array[] | Uint8Array,
): Uint8Array {
  const head = toBinary(
    pb.discovery.DeltaDiscoveryResponseSchema,
    create(pb.discovery.DeltaDiscoveryResponseSchema, {
      typeUrl: header.typeUrl,
      nonce: header.nonce,
      systemVersionInfo: header.systemVersionInfo,
      removedResources: [...header.removedResources],
    }),
  );
  const body = resources instanceof Uint8Array ? resources : frameResources(resources);
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}
