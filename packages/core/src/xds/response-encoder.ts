import type { Any } from "@bufbuild/protobuf/wkt";

/** The parts of a delta response besides its resources. */
export interface DeltaResponseHeader {
  readonly typeUrl: string;
  readonly nonce: string;
  readonly systemVersionInfo: string;
  readonly removedResources: readonly string[];
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

const utf8 = new TextEncoder();

// DeltaDiscoveryResponse string fields: system_version_info = 1, type_url = 4, nonce = 5,
// removed_resources = 6 (repeated). Tag byte = field << 3 | 2 (length-delimited).
const TAG_SYSTEM_VERSION = 0x0a;
const TAG_TYPE_URL = 0x22;
const TAG_NONCE = 0x2a;
const TAG_REMOVED = 0x32;

/** Hand-encoded header fields: this runs once per response per client, so skip reflection. */
function encodeHeader(h: DeltaResponseHeader): Uint8Array {
  const fields: [number, Uint8Array][] = [];
  if (h.systemVersionInfo) fields.push([TAG_SYSTEM_VERSION, utf8.encode(h.systemVersionInfo)]);
  if (h.typeUrl) fields.push([TAG_TYPE_URL, utf8.encode(h.typeUrl)]);
  if (h.nonce) fields.push([TAG_NONCE, utf8.encode(h.nonce)]);
  for (const name of h.removedResources) fields.push([TAG_REMOVED, utf8.encode(name)]);
  let total = 0;
  for (const [, b] of fields) total += 1 + varintSize(b.byteLength) + b.byteLength;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const [tag, b] of fields) {
    out[pos++] = tag;
    pos = writeVarint(out, pos, b.byteLength);
    out.set(b, pos);
    pos += b.byteLength;
  }
  return out;
}

// envoy.service.discovery.v3.Resource: version = 1, resource = 2 (Any), name = 3, aliases = 4.
// google.protobuf.Any: type_url = 1, value = 2. All length-delimited.
const TAG_RES_VERSION = 0x0a;
const TAG_RES_ANY = 0x12;
const TAG_RES_NAME = 0x1a;
const TAG_RES_ALIAS = 0x22;
const TAG_ANY_TYPE_URL = 0x0a;
const TAG_ANY_VALUE = 0x12;

function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function writeString(out: Buffer, pos: number, tag: number, s: string, len: number): number {
  out[pos++] = tag;
  pos = writeVarint(out, pos, len);
  return pos + out.write(s, pos, len, "utf8");
}

/**
 * Encode one `envoy.service.discovery.v3.Resource`; the server caches the bytes per snapshot.
 * Hand-encoded (the payload inside the Any is already bytes): a full snapshot is 11k of these, and
 * reflection-based encoding cost ~25 µs each. Fields in number order and empty strings omitted,
 * exactly as protobuf-es writes them (tested), so versions and golden files are unaffected.
 */
export function encodeResource(res: {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  readonly resource: Any;
}): Uint8Array {
  const versionLen = Buffer.byteLength(res.version);
  const nameLen = Buffer.byteLength(res.name);
  const typeUrlLen = Buffer.byteLength(res.resource.typeUrl);
  const value = res.resource.value;
  const anyLen =
    (typeUrlLen > 0 ? fieldSize(typeUrlLen) : 0) + (value.byteLength > 0 ? fieldSize(value.byteLength) : 0);
  let total = fieldSize(anyLen);
  if (versionLen > 0) total += fieldSize(versionLen);
  if (nameLen > 0) total += fieldSize(nameLen);
  const aliasLens = res.aliases.map((a) => Buffer.byteLength(a));
  for (const len of aliasLens) total += fieldSize(len);
  // Small buffers come from Node's shared pool: 11k resources cost 11k views, not 11k allocations.
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  if (versionLen > 0) pos = writeString(out, pos, TAG_RES_VERSION, res.version, versionLen);
  out[pos++] = TAG_RES_ANY;
  pos = writeVarint(out, pos, anyLen);
  if (typeUrlLen > 0) pos = writeString(out, pos, TAG_ANY_TYPE_URL, res.resource.typeUrl, typeUrlLen);
  if (value.byteLength > 0) {
    out[pos++] = TAG_ANY_VALUE;
    pos = writeVarint(out, pos, value.byteLength);
    out.set(value, pos);
    pos += value.byteLength;
  }
  if (nameLen > 0) pos = writeString(out, pos, TAG_RES_NAME, res.name, nameLen);
  // Repeated strings are written even when empty (protobuf-es does the same).
  res.aliases.forEach((a, i) => {
    pos = writeString(out, pos, TAG_RES_ALIAS, a, aliasLens[i] as number);
  });
  return out;
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
  const head = encodeHeader(header);
  const body = resources instanceof Uint8Array ? resources : frameResources(resources);
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}
