import type { Any } from "@bufbuild/protobuf/wkt";

/**
 * One xDS resource as the server sends it. `version` is a content hash, so an unchanged resource
 * keeps its version across snapshots and is not re-pushed (delta xDS, `initial_resource_versions`).
 */
export interface XdsResource {
  /** Primary name: workload uid, `ns/hostname`, or `ns/name` for policies. */
  readonly name: string;
  readonly version: string;
  /** Alternative names a client may subscribe by (e.g. `network/ip`). */
  readonly aliases: readonly string[];
  readonly resource: Any;
}

/**
 * The contract between translation and serving (style rule 7): one pure generator per type URL,
 * registered in one table. `generate` must be deterministic and free of I/O and clocks; the server
 * diffs successive outputs per client. `S` is the immutable config snapshot.
 */
export interface XdsGenerator<S> {
  readonly typeUrl: string;
  generate(snapshot: S): ReadonlyMap<string, XdsResource>;
}
