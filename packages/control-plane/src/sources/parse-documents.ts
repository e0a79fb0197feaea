import { type Document, isMap, isNode, isPair, isScalar, LineCounter, parseAllDocuments } from "yaml";
import type { z } from "zod";
import type { ConfigIssue, SourceLocation } from "../status/config-issue.js";
import {
  type ConfigKey,
  type ConfigObject,
  configKey,
  DEFAULT_NAMESPACE,
  deepFreeze,
} from "./config-object.js";
import { type ConfigKind, SCHEMAS } from "./schemas.js";

/**
 * Pure parsing of one multi-document YAML file into validated objects and located issues. The
 * file source adds watching and "last good version" bookkeeping on top; tests and the golden
 * harness call this directly.
 */

/** One `---` document of a file, in file order. */
export interface ParsedDocument {
  readonly index: number;
  /** Known even for an invalid document when kind and metadata.name could be read. */
  readonly key: ConfigKey | undefined;
  readonly object: ConfigObject | undefined;
  readonly issues: readonly ConfigIssue[];
}

const MAX_ISSUES_PER_DOCUMENT = 10;

/** Parse every document of `text`; `file` is used for locations, `origin` names the source. */
export function parseConfigDocuments(text: string, file: string, origin: string): ParsedDocument[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const out: ParsedDocument[] = [];
  list.forEach((doc, index) => {
    const parsed = parseDocument(doc, index, file, origin, lc);
    if (parsed) out.push(parsed);
  });
  return out;
}

function loc(lc: LineCounter, file: string, offset: number): SourceLocation {
  const p = lc.linePos(offset);
  return { file, line: p.line, column: p.col };
}

function parseDocument(
  doc: Document.Parsed,
  index: number,
  file: string,
  origin: string,
  lc: LineCounter,
): ParsedDocument | undefined {
  const { raw, error: toJsError } = safeToJs(doc);
  if (doc.errors.length === 0 && !toJsError && (raw === null || raw === undefined)) return undefined; // empty
  const start = loc(lc, file, doc.contents?.range[0] ?? doc.range[0]);
  const ident = identify(raw);
  const key = ident ? configKey(ident.kind, ident.namespace, ident.name) : undefined;
  const who = ident ? { kind: ident.kind, namespace: ident.namespace, name: ident.name } : {};

  const syntax = doc.errors[0];
  if (syntax || toJsError) {
    // Only the first syntax error: the rest are usually consequences of it.
    const issue: ConfigIssue = {
      severity: "error",
      code: "yaml_syntax",
      message: `invalid YAML: ${syntax ? syntax.message.split("\n")[0] : toJsError}`,
      origin,
      ...who,
      location: syntax?.linePos
        ? { file, line: syntax.linePos[0].line, column: syntax.linePos[0].col }
        : start,
    };
    return { index, key, object: undefined, issues: [issue] };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    const issue: ConfigIssue = {
      severity: "error",
      code: "invalid_object",
      message: "invalid object: a document must be a mapping with apiVersion, kind and metadata",
      origin,
      location: start,
    };
    return { index, key: undefined, object: undefined, issues: [issue] };
  }
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !(kind in SCHEMAS)) {
    const kindAt = typeof kind === "string" ? locate(doc, ["kind"]) : undefined;
    const issue: ConfigIssue = {
      severity: typeof kind === "string" ? "warning" : "error",
      code: typeof kind === "string" ? "unknown_kind" : "missing_identity",
      message:
        typeof kind === "string"
          ? `unknown kind ${JSON.stringify(kind)}: document ignored`
          : "missing kind: document ignored",
      origin,
      location: kindAt === undefined ? start : loc(lc, file, kindAt),
      path: "kind",
    };
    return { index, key: undefined, object: undefined, issues: [issue] };
  }
  const schema = SCHEMAS[kind as ConfigKind] as z.ZodType;
  const res = schema.safeParse(raw);
  if (!res.success) {
    const issues = res.error.issues.slice(0, MAX_ISSUES_PER_DOCUMENT).map((zi): ConfigIssue => {
      const extraKey = zi.code === "unrecognized_keys" ? zi.keys[0] : undefined;
      const offset = locate(doc, zi.path, extraKey);
      const path = formatPath(extraKey === undefined ? zi.path : [...zi.path, extraKey]);
      return {
        severity: "error",
        code: key ? "invalid_object" : "missing_identity",
        message: `invalid ${kind}: ${path || "document"}: ${zi.message}`,
        origin,
        ...who,
        location: offset === undefined ? start : loc(lc, file, offset),
        path,
      };
    });
    return { index, key, object: undefined, issues };
  }
  const data = res.data as { kind: string; metadata: { namespace?: string } };
  const namespace = kind === "Namespace" ? "" : (data.metadata.namespace ?? DEFAULT_NAMESPACE);
  const object = deepFreeze({
    ...data,
    metadata: { ...data.metadata, namespace },
    origin: start,
  }) as unknown as ConfigObject;
  return { index, key, object, issues: [] };
}

/** toJS that survives alias bombs (`maxAliasCount`) and other conversion failures. */
function safeToJs(doc: Document.Parsed): { raw: unknown; error: string | undefined } {
  try {
    return { raw: doc.toJS({ maxAliasCount: 100 }), error: undefined };
  } catch (e) {
    return { raw: undefined, error: e instanceof Error ? e.message : String(e) };
  }
}

/** kind + name + namespace when readable, so that a broken document still names its object. */
function identify(raw: unknown): { kind: string; namespace: string; name: string } | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const r = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof r.kind !== "string" || !(r.kind in SCHEMAS)) return undefined;
  const name = r.metadata?.name;
  if (typeof name !== "string" || name === "") return undefined;
  const ns = r.metadata?.namespace;
  const namespace = r.kind === "Namespace" ? "" : typeof ns === "string" && ns ? ns : DEFAULT_NAMESPACE;
  return { kind: r.kind, namespace, name };
}

/** Offset of the deepest existing node on `path` (or of the offending key itself). */
function locate(doc: Document.Parsed, path: readonly PropertyKey[], extraKey?: string): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (!isNode(node)) continue;
    if (n === path.length && extraKey !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === extraKey);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
    return node.range?.[0];
  }
  return undefined;
}

/** `["spec","rules",0,"from"]` → `spec.rules[0].from`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}
