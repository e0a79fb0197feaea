import { createHash } from "node:crypto";
import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { XdsResource } from "../model/xds-generator.js";

/** Type URL prefix of every resource we send. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * Encode once and wrap as an xDS resource. The version is a content hash of the encoded bytes
 * (first 16 hex digits of SHA-256): equal content ⇒ equal version across snapshots and restarts,
 * which is what lets the server skip unchanged resources and honour `initial_resource_versions`.
 * Map fields are inserted in sorted key order by the translators, so encoding is deterministic.
 */
export function toXdsResource<D extends DescMessage>(
  name: string,
  aliases: readonly string[],
  schema: D,
  message: MessageShape<D>,
): XdsResource {
  const value = toBinary(schema, message);
  const version = createHash("sha256").update(value).digest("hex").slice(0, 16);
  const resource = create(AnySchema, { typeUrl: TYPE_URL_PREFIX + schema.typeName, value });
  return Object.freeze({ name, version, aliases: Object.freeze([...aliases]), resource });
}
