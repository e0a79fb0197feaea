import { createLogger } from "@ambit/core";
import type { ConfigSource } from "../sources/config-source.js";
import type { ConfigIssue } from "../status/config-issue.js";
import type { MeshConfig } from "./mesh-config.js";
import { buildSnapshot, type ConfigSnapshot } from "./snapshot.js";
import { checkSnapshot } from "./snapshot-check.js";

const log = createLogger("cp.snapshot");

export interface SnapshotBuilderOptions {
  readonly mesh?: Partial<MeshConfig>;
  /** Quiet period after a source change before rebuilding. Default 50 ms. */
  readonly debounceMs?: number;
  /** A burst of changes never postpones a rebuild longer than this. Default 250 ms. */
  readonly maxDelayMs?: number;
}

export type SnapshotListener = (snapshot: ConfigSnapshot) => void;

/**
 * Turns a source into a stream of immutable snapshots: debounced rebuild on change, consistency
 * check, then publish to subscribers (the xDS server, the CA, status). A snapshot that fails the
 * check is not published; the previous one stays current and the failure is reported.
 * The builder owns the source's lifecycle (`start`/`stop`).
 */
export class SnapshotBuilder {
  readonly #source: ConfigSource;
  readonly #mesh: Partial<MeshConfig>;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #listeners = new Set<SnapshotListener>();
  #current: ConfigSnapshot;
  #version = 0;
  #timer: NodeJS.Timeout | undefined;
  #firstChangeAt = 0;
  #unsubscribe: (() => void) | undefined;
  #checkIssues: readonly ConfigIssue[] = [];

  constructor(source: ConfigSource, opts: SnapshotBuilderOptions = {}) {
    this.#source = source;
    this.#mesh = opts.mesh ?? {};
    this.#debounceMs = opts.debounceMs ?? 50;
    this.#maxDelayMs = opts.maxDelayMs ?? 250;
    this.#current = buildSnapshot([], { mesh: this.#mesh, version: 0 });
  }

  /** Start the source, build and publish the first snapshot, then follow changes. */
  async start(): Promise<ConfigSnapshot> {
    this.#unsubscribe = this.#source.subscribe(() => this.#schedule());
    await this.#source.start();
    this.rebuild();
    return this.#current;
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#source.stop();
  }

  /** The latest published snapshot (an empty one with version 0 before `start`). */
  current(): ConfigSnapshot {
    return this.#current;
  }

  /** Issues of the last failed consistency check (empty when the last build was published). */
  checkIssues(): readonly ConfigIssue[] {
    return this.#checkIssues;
  }

  /** Called with every published snapshot; not called for the current one. Returns unsubscribe. */
  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Rebuild immediately (cancelling a pending debounced rebuild); returns the current snapshot. */
  rebuild(): ConfigSnapshot {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = buildSnapshot(this.#source.list(), {
      mesh: this.#mesh,
      version: this.#version + 1,
      sourceIssues: this.#source.issues(),
    });
    const problems = checkSnapshot(next);
    if (problems.length > 0) {
      this.#checkIssues = Object.freeze(problems);
      log.error("snapshot failed consistency check; keeping previous", { problems: problems.length });
      return this.#current;
    }
    this.#checkIssues = [];
    this.#version++;
    this.#current = next;
    for (const l of [...this.#listeners]) {
      try {
        l(next);
      } catch (e) {
        log.error("snapshot listener failed", { err: e });
      }
    }
    return next;
  }

  #schedule(): void {
    const now = performance.now();
    if (this.#timer) {
      if (now - this.#firstChangeAt >= this.#maxDelayMs) return;
      clearTimeout(this.#timer);
    } else {
      this.#firstChangeAt = now;
    }
    const wait = Math.max(0, Math.min(this.#debounceMs, this.#maxDelayMs - (now - this.#firstChangeAt)));
    this.#timer = setTimeout(() => this.rebuild(), wait);
  }
}

export function createSnapshotBuilder(source: ConfigSource, opts?: SnapshotBuilderOptions): SnapshotBuilder {
  return new SnapshotBuilder(source, opts);
}
