import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { contentVersion } from "./versions.js";

/** A payload packed for serving: structurally the control plane's `XdsResource`. */
export interface PackedResource {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  readonly resource: Any;
}

/**
 * Build a message, pack it in an Any and version it by content hash, in one step, so every
 * producer of resources (generators, fakes, benchmarks) versions the same way.
 */
export function packResource<D extends DescMessage>(
  schema: D,
  init: MessageInitShape<D>,
  name: string,
  aliases: readonly string[] = [],
): PackedResource {
  // Encoded once: the same bytes are hashed and packed (anyPack would encode a second time).
  const value = toBinary(schema, create(schema, init));
  const resource = create(AnySchema, { typeUrl: `type.googleapis.com/${schema.typeName}`, value });
  return { name, aliases, version: contentVersion(value), resource };
}
