import type { ConfigIssue } from "../status/config-issue.js";
import type { ConfigKey, ConfigObject } from "./config-object.js";
import type { ParsedDocument } from "./parse-documents.js";

/**
 * Decide which object is in force for every key, given the parsed documents of every file and
 * the last good version seen per (file, key). Pure, so the rules are table-tested:
 *
 * 1. A valid document defines its object (and becomes the new last good version).
 * 2. An invalid document that still names its object keeps that object's last good version from
 *    the same file in force; the error says so. Nothing is lost by a bad edit.
 * 3. If a file has an error that cannot be tied to an object (YAML syntax, no kind/name), every
 *    last good object of that file that no valid document mentions stays in force as well.
 * 4. An object no longer mentioned by its file (document or file deleted) is removed.
 * 5. The same key in several places: the first by (file path, document index) wins, the others
 *    get a `duplicate_object` warning. Deterministic regardless of event order.
 */
export interface ResolveResult {
  readonly objects: Map<ConfigKey, ConfigObject>;
  readonly issues: ConfigIssue[];
  readonly lastGood: Map<string, ConfigObject>;
}

export function lastGoodKey(file: string, key: ConfigKey): string {
  return `${file}\u0000${key}`;
}

interface Candidate {
  readonly file: string;
  readonly index: number;
  readonly object: ConfigObject;
}

export function resolveFiles(
  files: ReadonlyMap<string, readonly ParsedDocument[]>,
  lastGood: ReadonlyMap<string, ConfigObject>,
  origin: string,
): ResolveResult {
  const issues: ConfigIssue[] = [];
  const nextLastGood = new Map<string, ConfigObject>();
  const candidates = new Map<ConfigKey, Candidate[]>();
  const add = (key: ConfigKey, c: Candidate) => {
    const list = candidates.get(key);
    if (list) list.push(c);
    else candidates.set(key, [c]);
  };

  const sortedFiles = [...files.keys()].sort();
  for (const file of sortedFiles) {
    const docs = files.get(file) ?? [];
    const mentioned = new Set<ConfigKey>();
    let anonymousError = false;
    for (const doc of docs) {
      if (doc.object && doc.key) {
        add(doc.key, { file, index: doc.index, object: doc.object });
        nextLastGood.set(lastGoodKey(file, doc.key), doc.object);
        mentioned.add(doc.key);
        continue;
      }
      const hasError = doc.issues.some((i) => i.severity === "error");
      if (!doc.key) {
        if (hasError) anonymousError = true;
        issues.push(...doc.issues);
        continue;
      }
      mentioned.add(doc.key);
      const prev = lastGood.get(lastGoodKey(file, doc.key));
      if (prev) {
        add(doc.key, { file, index: doc.index, object: prev });
        nextLastGood.set(lastGoodKey(file, doc.key), prev);
      }
      const note = prev ? " (last good version stays in force)" : " (object not applied)";
      for (const i of doc.issues)
        issues.push(i.severity === "error" ? { ...i, message: i.message + note } : i);
    }
    if (anonymousError) {
      // Rule 3: a syntax error may hide documents; keep whatever this file defined before.
      const prefix = `${file}\u0000`;
      for (const [lk, obj] of lastGood) {
        if (!lk.startsWith(prefix)) continue;
        const key = lk.slice(prefix.length);
        if (mentioned.has(key)) continue;
        add(key, { file, index: Number.MAX_SAFE_INTEGER, object: obj });
        nextLastGood.set(lk, obj);
      }
    }
  }

  const objects = new Map<ConfigKey, ConfigObject>();
  for (const [key, list] of candidates) {
    const [winner, ...losers] = list; // already in (file, index) order
    if (!winner) continue;
    objects.set(key, winner.object);
    for (const l of losers) {
      const m = winner.object.metadata;
      issues.push({
        severity: "warning",
        code: "duplicate_object",
        message: `duplicate definition: ${key} is also defined in ${winner.file}; that one is used`,
        origin,
        kind: winner.object.kind,
        namespace: m.namespace,
        name: m.name,
        ...(l.object.origin ? { location: l.object.origin } : {}),
      });
    }
  }
  return { objects, issues, lastGood: nextLastGood };
}
