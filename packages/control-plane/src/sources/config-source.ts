import type { ConfigIssue } from "../status/config-issue.js";
import type { ConfigKey, ConfigObject } from "./config-object.js";

/**
 * What the snapshot builder needs from any config source: the current set of typed objects, the
 * problems found while producing them, and a change signal. A Kubernetes informer source implements
 * the same interface later without touching the model or translation (style rule 7).
 */
export interface ConfigSource {
  /** Stable, human-readable name, e.g. `file:/etc/ambit/config`; used as `ConfigIssue.origin`. */
  readonly name: string;
  /** Load the initial state; resolves once `list()` reflects it (first full sync). */
  start(): Promise<void>;
  /** Stop watching; `list()` keeps returning the last state. Idempotent. */
  stop(): Promise<void>;
  /** Current objects, at most one per `Kind/namespace/name`. The array and objects are frozen. */
  list(): readonly ConfigObject[];
  /** Current config errors and warnings of this source (not cumulative: replaced on change). */
  issues(): readonly ConfigIssue[];
  /** Called after each applied batch of changes; returns an unsubscribe function. */
  subscribe(listener: (change: SourceChange) => void): () => void;
}

/** One applied batch. Keys only: consumers re-read `list()` (snapshots are rebuilt whole). */
export interface SourceChange {
  readonly source: string;
  readonly upserted: readonly ConfigKey[];
  readonly removed: readonly ConfigKey[];
  /** True when only the issue list changed (e.g. a bad edit kept the last good version). */
  readonly issuesOnly: boolean;
}

/** Small helper for sources: a listener set that isolates listener exceptions from each other. */
export class ChangeEmitter {
  readonly #listeners = new Set<(c: SourceChange) => void>();

  subscribe(listener: (c: SourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: SourceChange, onError: (e: unknown) => void): void {
    for (const l of [...this.#listeners]) {
      try {
        l(change);
      } catch (e) {
        onError(e);
      }
    }
  }
}

/** Keys whose object changed (by identity) between two maps, and keys that disappeared. */
export function diffObjects(
  before: ReadonlyMap<ConfigKey, ConfigObject>,
  after: ReadonlyMap<ConfigKey, ConfigObject>,
): { upserted: ConfigKey[]; removed: ConfigKey[] } {
  const upserted: ConfigKey[] = [];
  const removed: ConfigKey[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) upserted.push(k);
  for (const k of before.keys()) if (!after.has(k)) removed.push(k);
  return { upserted, removed };
}
