import { encodeDeltaResponse, encodeResource, frameResources } from "@ambit/core";
import type { XdsResource } from "../model/xds-generator.js";
import { sharedFrame } from "./shared-frames.js";

/** What the server serves: per type URL, the resources by primary name (a generator's output). */
export type XdsSnapshotResources = ReadonlyMap<string, ReadonlyMap<string, XdsResource>>;

const EMPTY: ReadonlyMap<string, XdsResource> = new Map();

/** One published snapshot: immutable, numbered, with lazily built indexes shared by all streams. */
export class PublishedSnapshot {
  private readonly aliasIndexes = new Map<string, ReadonlyMap<string, readonly string[]>>();
  private readonly fullResponses = new Map<string, { readonly nonce: string; readonly bytes: Uint8Array }>();

  constructor(
    /** Monotonic per server: streams remember the number they are in sync with. */
    readonly version: number,
    private readonly resources: XdsSnapshotResources,
  ) {}

  /** Resources of one type (empty map for a type the snapshot does not have). */
  of(typeUrl: string): ReadonlyMap<string, XdsResource> {
    return this.resources.get(typeUrl) ?? EMPTY;
  }

  /** alias → primary names of one type (built on first use by a named subscriber). */
  aliases(typeUrl: string): ReadonlyMap<string, readonly string[]> {
    let idx = this.aliasIndexes.get(typeUrl);
    if (!idx) {
      const m = new Map<string, string[]>();
      for (const r of this.of(typeUrl).values()) {
        for (const a of r.aliases) {
          const list = m.get(a);
          if (list) list.push(r.name);
          else m.set(a, [r.name]);
        }
      }
      idx = m;
      this.aliasIndexes.set(typeUrl, idx);
    }
    return idx;
  }

  /**
   * The response carrying every resource of one type, encoded once and sent as the same bytes to
   * every stream that needs the full set (new wildcard subscribers), as a {@link sharedFrame}
   * (no copy per client). Its nonce is keyed, hence shared by those streams.
   */
  fullResponse(
    typeUrl: string,
    nonce: string,
    encode: (r: XdsResource) => Uint8Array,
  ): { readonly nonce: string; readonly bytes: Uint8Array } {
    let full = this.fullResponses.get(typeUrl);
    if (!full) {
      const body = frameResources([...this.of(typeUrl).values()].map(encode));
      const bytes = sharedFrame(
        encodeDeltaResponse(
          { typeUrl, nonce, systemVersionInfo: String(this.version), removedResources: [] },
          body,
        ),
      );
      full = { nonce, bytes };
      this.fullResponses.set(typeUrl, full);
    }
    return full;
  }

  typeUrls(): IterableIterator<string> {
    return this.resources.keys();
  }
}

interface ChangeRecord {
  readonly version: number;
  /** Per type URL: names added, changed (new version) or removed in this version. */
  readonly changed: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Holds the current snapshot plus a short history of what changed between consecutive
 * snapshots, so a stream that is in sync with version N computes its next push from the changed
 * names alone instead of diffing every resource (one pod change = one lookup per stream).
 * Encoded resource bytes are cached per resource object and carried over when a new snapshot
 * repeats a version, so each resource is serialized once, not once per client.
 */
export class SnapshotStore {
  private current: PublishedSnapshot = new PublishedSnapshot(0, new Map());
  private readonly history: ChangeRecord[] = [];
  private readonly encoded = new WeakMap<XdsResource, Uint8Array>();

  constructor(private readonly historyLimit = 32) {}

  get snapshot(): PublishedSnapshot {
    return this.current;
  }

  /** Publish a new snapshot; returns the type URLs that changed (empty when nothing did). */
  publish(resources: XdsSnapshotResources): Set<string> {
    const prev = this.current;
    const changed = new Map<string, Set<string>>();
    const types = new Set([...prev.typeUrls(), ...resources.keys()]);
    for (const typeUrl of types) {
      const before = prev.of(typeUrl);
      const after = resources.get(typeUrl) ?? EMPTY;
      if (before === after) continue;
      const names = new Set<string>();
      for (const [name, r] of after) {
        const old = before.get(name);
        if (old === r) continue;
        if (old === undefined) names.add(name);
        else if (old.version !== r.version || !sameAliases(old.aliases, r.aliases)) names.add(name);
        else {
          const bytes = this.encoded.get(old);
          if (bytes) this.encoded.set(r, bytes);
        }
      }
      for (const name of before.keys()) if (!after.has(name)) names.add(name);
      if (names.size > 0) changed.set(typeUrl, names);
    }
    if (changed.size === 0) {
      // Nothing to push; keep the version so in-sync streams stay in sync.
      return new Set();
    }
    this.current = new PublishedSnapshot(prev.version + 1, resources);
    this.history.push({ version: this.current.version, changed });
    if (this.history.length > this.historyLimit) this.history.shift();
    return new Set(changed.keys());
  }

  /**
   * Names of one type that changed after snapshot `since` up to the current one, or undefined
   * when the history no longer reaches back that far (the caller then diffs everything).
   */
  changedSince(typeUrl: string, since: number): ReadonlySet<string> | undefined {
    if (since === this.current.version) return new Set();
    if (since < 0) return undefined;
    const oldest = this.history[0];
    if (!oldest || oldest.version > since + 1) return undefined;
    const records = this.history.filter((rec) => rec.version > since);
    // The common case (a stream one snapshot behind) shares the record's set: no copy.
    if (records.length === 1) return records[0]?.changed.get(typeUrl) ?? new Set();
    const out = new Set<string>();
    for (const rec of records) {
      const names = rec.changed.get(typeUrl);
      if (names) for (const n of names) out.add(n);
    }
    return out;
  }

  /** Wire bytes of one `Resource`, encoded once. */
  encode(r: XdsResource): Uint8Array {
    let bytes = this.encoded.get(r);
    if (!bytes) {
      bytes = encodeResource(r);
      this.encoded.set(r, bytes);
    }
    return bytes;
  }
}

function sameAliases(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
