// A protocol-complete but CPU-light delta ADS client for the benchmark: it speaks gRPC over
// node:http2 itself (one TLS connection and one stream per client, default 64 KiB HTTP/2 windows
// like grpc-js), subscribes, ACKs every response and counts resources, but walks large responses'
// top-level fields as the bytes arrive instead of assembling and decoding them. 100 real ztunnels
// would each decode on their own CPU; here all clients share the benchmark machine's 2 cores with
// the server, so a full grpc-js client (which concatenates every 2 MB message, then decodes it)
// would measure the clients, not the server.
import http2 from "node:http2";
import type * as pb from "@ambit/api/pb";
import { type DeltaRequest, deltaAdsMethod } from "@ambit/core";

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
// DeltaDiscoveryResponse fields: resources = 2, type_url = 4, nonce = 5, removed_resources = 6.
const F_RESOURCES = 2;
const F_TYPE_URL = 4;
const F_NONCE = 5;
const F_REMOVED = 6;

/**
 * Splits a gRPC response byte stream into messages (5-byte prefix + body) and reports each as a
 * {@link LightResponse}. Small messages are decoded fully; large ones are walked field by field
 * across chunks, keeping only type_url and nonce bytes.
 */
export class LightResponseParser {
  private prefix = Buffer.alloc(5);
  private prefixHave = 0;
  /** Bytes left of the current message body (-1: reading a prefix). */
  private left = -1;
  private small: Buffer[] | undefined;
  // Field walk state of a large message.
  private phase: "tag" | "len" | "varint" | "body" = "tag";
  private varint = 0;
  private mul = 1;
  private field = 0;
  private bodyLeft = 0;
  private keep: Buffer[] | undefined;
  private typeUrl = "";
  private nonce = "";
  private resources = 0;
  private removed = 0;

  constructor(private readonly onMessage: (r: LightResponse) => void) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.left < 0) {
        const n = Math.min(5 - this.prefixHave, chunk.length - pos);
        chunk.copy(this.prefix, this.prefixHave, pos, pos + n);
        this.prefixHave += n;
        pos += n;
        if (this.prefixHave < 5) return;
        if (this.prefix[0] !== 0) throw new Error("compressed gRPC message");
        this.prefixHave = 0;
        this.left = this.prefix.readUInt32BE(1);
        this.startMessage();
        if (this.left === 0) this.endMessage();
        continue;
      }
      const n = Math.min(this.left, chunk.length - pos);
      const part = chunk.subarray(pos, pos + n);
      if (this.small) this.small.push(part);
      else this.walk(part);
      pos += n;
      this.left -= n;
      if (this.left === 0) this.endMessage();
    }
  }

  private startMessage(): void {
    this.small = this.left <= FULL_DECODE_LIMIT ? [] : undefined;
    this.phase = "tag";
    this.varint = 0;
    this.mul = 1;
    this.typeUrl = "";
    this.nonce = "";
    this.resources = 0;
    this.removed = 0;
  }

  private endMessage(): void {
    this.left = -1;
    if (this.small) {
      const r = deltaAdsMethod.responseDeserialize(Buffer.concat(this.small));
      this.small = undefined;
      this.onMessage({
        typeUrl: r.typeUrl,
        nonce: r.nonce,
        resources: r.resources.length,
        removed: r.removedResources.length,
        versions: new Map(r.resources.map((x) => [x.name, x.version])),
      });
      return;
    }
    if (this.phase !== "tag") throw new Error("truncated field in gRPC message");
    this.onMessage({
      typeUrl: this.typeUrl,
      nonce: this.nonce,
      resources: this.resources,
      removed: this.removed,
      versions: undefined,
    });
  }

  /** Advance the top-level field walk over part of a large message. */
  private walk(b: Buffer): void {
    let pos = 0;
    while (pos < b.length) {
      if (this.phase === "body") {
        const n = Math.min(this.bodyLeft, b.length - pos);
        this.keep?.push(b.subarray(pos, pos + n));
        pos += n;
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.endField();
        continue;
      }
      const byte = b[pos++] as number;
      this.varint += (byte & 0x7f) * this.mul;
      this.mul *= 128;
      if (byte >= 0x80) continue;
      const v = this.varint;
      this.varint = 0;
      this.mul = 1;
      if (this.phase === "tag") {
        this.field = Math.floor(v / 8);
        const wire = v & 7;
        if (wire === 0) this.phase = "varint";
        else if (wire === 2) this.phase = "len";
        else throw new Error(`unexpected wire type ${wire}`);
      } else if (this.phase === "varint") {
        this.phase = "tag";
      } else {
        this.bodyLeft = v;
        this.keep = this.field === F_TYPE_URL || this.field === F_NONCE ? [] : undefined;
        this.phase = "body";
        if (v === 0) this.endField();
      }
    }
  }

  private endField(): void {
    this.phase = "tag";
    if (this.field === F_RESOURCES) this.resources++;
    else if (this.field === F_REMOVED) this.removed++;
    else if (this.keep) {
      const s = Buffer.concat(this.keep).toString("utf8");
      if (this.field === F_TYPE_URL) this.typeUrl = s;
      else this.nonce = s;
    }
    this.keep = undefined;
  }
}

export interface LightClientOptions {
  /** `host:port` of the server. */
  readonly address: string;
  /** CA certificates (PEM) that verify the server, whose name is `localhost`. */
  readonly rootsPem: string;
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

/** One gRPC message: 5-byte prefix (uncompressed, big-endian length) + body. */
function frame(req: DeltaRequest): Buffer {
  const body = deltaAdsMethod.requestSerialize(req);
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

/** Open one stream, subscribe wildcard to each type in order, ACK everything. */
export function startLightClient(o: LightClientOptions): () => void {
  const session = http2.connect(`https://${o.address}`, { ca: o.rootsPem, servername: "localhost" });
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": deltaAdsMethod.path,
    "content-type": "application/grpc",
    te: "trailers",
    authorization: o.token,
  });
  stream.on("error", () => {});
  const parser = new LightResponseParser((r) => {
    stream.write(frame(request({ typeUrl: r.typeUrl, responseNonce: r.nonce })));
    o.onResponse(r);
  });
  stream.on("data", (chunk: Buffer) => parser.push(chunk));
  for (const typeUrl of o.typeUrls) stream.write(frame(request({ node: o.node, typeUrl })));
  return () => {
    stream.close();
    session.close();
  };
}
