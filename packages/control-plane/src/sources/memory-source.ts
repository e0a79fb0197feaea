import { createLogger } from "@ambit/core";
import type { ConfigIssue } from "../status/config-issue.js";
import { type ConfigKey, type ConfigObject, deepFreeze, keyOf } from "./config-object.js";
import { ChangeEmitter, type ConfigSource, diffObjects, type SourceChange } from "./config-source.js";
import { parseConfigDocuments } from "./parse-documents.js";
import { resolveFiles } from "./resolve-files.js";

const log = createLogger("cp.source.memory");

/**
 * An in-memory source: tests, benchmarks and embedders push objects directly. Every call is one
 * batch and notifies subscribers synchronously.
 */
export class MemorySource implements ConfigSource {
  readonly name: string;
  readonly #emitter = new ChangeEmitter();
  #objects = new Map<ConfigKey, ConfigObject>();
  #list: readonly ConfigObject[] = Object.freeze([]);
  #issues: readonly ConfigIssue[] = Object.freeze([]);

  constructor(name = "memory") {
    this.name = name;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  list(): readonly ConfigObject[] {
    return this.#list;
  }

  issues(): readonly ConfigIssue[] {
    return this.#issues;
  }

  subscribe(listener: (change: SourceChange) => void): () => void {
    return this.#emitter.subscribe(listener);
  }

  /** Add or replace objects (already validated, e.g. from {@link parseConfigDocuments}). */
  upsert(...objects: ConfigObject[]): void {
    const next = new Map(this.#objects);
    for (const o of objects) next.set(keyOf(o), deepFreeze(o));
    this.#commit(next, this.#issues);
  }

  remove(...keys: ConfigKey[]): void {
    const next = new Map(this.#objects);
    for (const k of keys) next.delete(k);
    this.#commit(next, this.#issues);
  }

  /** Replace the whole state with the objects of a YAML text; its problems become `issues()`. */
  replaceWithYaml(text: string, file = "memory.yaml"): void {
    const docs = parseConfigDocuments(text, file, this.name);
    const res = resolveFiles(new Map([[file, docs]]), new Map(), this.name);
    this.#commit(res.objects, Object.freeze(res.issues));
  }

  /** Replace the whole state. */
  replaceAll(objects: readonly ConfigObject[]): void {
    const next = new Map<ConfigKey, ConfigObject>();
    for (const o of objects) next.set(keyOf(o), deepFreeze(o));
    this.#commit(next, Object.freeze([]));
  }

  #commit(next: Map<ConfigKey, ConfigObject>, issues: readonly ConfigIssue[]): void {
    const { upserted, removed } = diffObjects(this.#objects, next);
    const issuesOnly = upserted.length + removed.length === 0;
    if (issuesOnly && issues === this.#issues) return;
    this.#objects = next;
    this.#list = Object.freeze([...next.values()]);
    this.#issues = issues;
    this.#emitter.emit({ source: this.name, upserted, removed, issuesOnly }, (e) =>
      log.error("source listener failed", { err: e }),
    );
  }
}

export function createMemorySource(name?: string): MemorySource {
  return new MemorySource(name);
}
