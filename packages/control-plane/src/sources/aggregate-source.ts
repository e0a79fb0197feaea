import { createLogger } from "@ambit/core";
import type { ConfigIssue } from "../status/config-issue.js";
import { type ConfigKey, type ConfigObject, keyOf } from "./config-object.js";
import { ChangeEmitter, type ConfigSource, type SourceChange } from "./config-source.js";

const log = createLogger("cp.source.aggregate");

/**
 * Several sources seen as one (e.g. a Kubernetes cluster plus a directory of local overrides).
 * When two sources define the same `Kind/namespace/name`, the source listed first wins and a
 * `duplicate_object` warning is reported — the same deterministic rule as duplicates across files.
 */
export class AggregateSource implements ConfigSource {
  readonly name: string;
  readonly #sources: readonly ConfigSource[];
  readonly #emitter = new ChangeEmitter();
  readonly #unsubs: (() => void)[] = [];

  constructor(sources: readonly ConfigSource[]) {
    this.#sources = sources;
    this.name = `aggregate(${sources.map((s) => s.name).join(",")})`;
  }

  async start(): Promise<void> {
    for (const s of this.#sources) {
      this.#unsubs.push(
        s.subscribe((c) => this.#emitter.emit(c, (e) => log.error("listener failed", { err: e }))),
      );
    }
    await Promise.all(this.#sources.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubs.splice(0)) u();
    await Promise.all(this.#sources.map((s) => s.stop()));
  }

  list(): readonly ConfigObject[] {
    return this.#merge().objects;
  }

  issues(): readonly ConfigIssue[] {
    return [...this.#sources.flatMap((s) => s.issues()), ...this.#merge().issues];
  }

  subscribe(listener: (change: SourceChange) => void): () => void {
    return this.#emitter.subscribe(listener);
  }

  #merge(): { objects: ConfigObject[]; issues: ConfigIssue[] } {
    const seen = new Map<ConfigKey, string>();
    const objects: ConfigObject[] = [];
    const issues: ConfigIssue[] = [];
    for (const s of this.#sources) {
      for (const o of s.list()) {
        const k = keyOf(o);
        const owner = seen.get(k);
        if (owner !== undefined) {
          issues.push({
            severity: "warning",
            code: "duplicate_object",
            message: `duplicate definition: ${k} is also defined by ${owner}; that one is used`,
            origin: s.name,
            kind: o.kind,
            namespace: o.metadata.namespace,
            name: o.metadata.name,
            ...(o.origin ? { location: o.origin } : {}),
          });
          continue;
        }
        seen.set(k, s.name);
        objects.push(o);
      }
    }
    return { objects, issues };
  }
}

export function createAggregateSource(sources: readonly ConfigSource[]): AggregateSource {
  return new AggregateSource(sources);
}
