import type { ConfigSnapshot } from "../model/snapshot.js";
import type { SnapshotBuilder } from "../model/snapshot-builder.js";
import { allTranslationIssues } from "../translate/translation-issues.js";
import { type ConfigIssue, compareIssues, type IssueSeverity } from "./config-issue.js";

export interface IssueFilter {
  readonly severity?: IssueSeverity;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface StatusSummary {
  /** Version of the snapshot the issues describe. */
  readonly snapshotVersion: number;
  readonly errors: number;
  readonly warnings: number;
}

/**
 * Config errors and translation warnings of the current snapshot, as data (for the status
 * endpoint and `ambit` CLI). Combines source issues (bad documents, duplicates), snapshot issues
 * (duplicate IPs/VIPs), a failed consistency check, and translation warnings. Computed lazily
 * per snapshot and cached, so a busy config does no extra work unless someone asks.
 */
export class ConfigStatus {
  readonly #builder: SnapshotBuilder;
  #cached:
    | { snapshot: ConfigSnapshot; checkIssues: readonly ConfigIssue[]; issues: readonly ConfigIssue[] }
    | undefined;

  constructor(builder: SnapshotBuilder) {
    this.#builder = builder;
  }

  /** All current issues in display order (errors first, then file/line). */
  issues(filter: IssueFilter = {}): readonly ConfigIssue[] {
    const all = this.#all();
    return all.filter(
      (i) =>
        (filter.severity === undefined || i.severity === filter.severity) &&
        (filter.kind === undefined || i.kind === filter.kind) &&
        (filter.namespace === undefined || i.namespace === filter.namespace) &&
        (filter.name === undefined || i.name === filter.name),
    );
  }

  errors(): readonly ConfigIssue[] {
    return this.issues({ severity: "error" });
  }

  warnings(): readonly ConfigIssue[] {
    return this.issues({ severity: "warning" });
  }

  summary(): StatusSummary {
    const all = this.#all();
    const errors = all.filter((i) => i.severity === "error").length;
    return { snapshotVersion: this.#builder.current().version, errors, warnings: all.length - errors };
  }

  #all(): readonly ConfigIssue[] {
    const snapshot = this.#builder.current();
    const checkIssues = this.#builder.checkIssues();
    const c = this.#cached;
    if (c && c.snapshot === snapshot && c.checkIssues === checkIssues) return c.issues;
    const issues = Object.freeze(
      [...snapshot.issues, ...checkIssues, ...allTranslationIssues(snapshot)].sort(compareIssues),
    );
    this.#cached = { snapshot, checkIssues, issues };
    return issues;
  }
}

/** Status view over a builder's current snapshot; holds no timers or subscriptions. */
export function createConfigStatus(builder: SnapshotBuilder): ConfigStatus {
  return new ConfigStatus(builder);
}
