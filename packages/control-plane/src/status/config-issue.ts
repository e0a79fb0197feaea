/**
 * Config errors and translation warnings as plain data. Sources, the snapshot builder and the
 * translators all report problems in this one shape so that the status endpoint and the CLI can
 * show them without knowing where they came from. Nothing here imports anything: it is the leaf
 * every other control-plane folder may depend on.
 */

/** `error`: the object (or document) was rejected; `warning`: accepted, but not as written. */
export type IssueSeverity = "error" | "warning";

/**
 * Closed set of issue codes (lower_snake, style rule 5). Sources: `yaml_syntax`, `invalid_object`,
 * `missing_identity` (no kind/name), `unknown_kind`, `duplicate_object`, `read_failed`.
 * Snapshot: `duplicate_ip`, `duplicate_vip`, `inconsistent_snapshot`. Translation:
 * `unsupported_action`, `unsupported_http_attributes`, `dry_run_disabled`, `ignored_peer_authentication`,
 * `waypoint_unavailable` (a `use-waypoint` label that binds nothing), `unsupported_waypoint_config`
 * (VirtualService / RequestAuthentication parts a waypoint does not apply).
 */
export type IssueCode =
  | "yaml_syntax"
  | "invalid_object"
  | "missing_identity"
  | "unknown_kind"
  | "duplicate_object"
  | "read_failed"
  | "duplicate_ip"
  | "duplicate_vip"
  | "inconsistent_snapshot"
  | "unsupported_action"
  | "unsupported_http_attributes"
  | "dry_run_disabled"
  | "ignored_peer_authentication"
  | "waypoint_unavailable"
  | "unsupported_waypoint_config";

/** Where a config object came from: a file and the 1-based line/column of the relevant node. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One problem, addressed as precisely as we can: object, file position and field path. */
export interface ConfigIssue {
  readonly severity: IssueSeverity;
  readonly code: IssueCode;
  /** `"<what failed>: <detail>"`. */
  readonly message: string;
  /** Name of the reporting source (`file:/path`), or `snapshot` / `translate`. */
  readonly origin: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly location?: SourceLocation;
  /** Dotted field path inside the object, e.g. `spec.rules[0].from[0].source.principals`. */
  readonly path?: string;
}

/** Stable order for display and golden files: errors first, then origin, file, line, message. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  const sev = (s: IssueSeverity) => (s === "error" ? 0 : 1);
  return (
    sev(a.severity) - sev(b.severity) ||
    cmp(a.location?.file ?? "", b.location?.file ?? "") ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    cmp(a.kind ?? "", b.kind ?? "") ||
    cmp(a.namespace ?? "", b.namespace ?? "") ||
    cmp(a.name ?? "", b.name ?? "") ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Human one-liner: `file:line:col: error [code] Kind ns/name path: message`. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.location ? `${i.location.file}:${i.location.line}:${i.location.column}: ` : "";
  const obj = i.kind ? ` ${i.kind} ${i.namespace ? `${i.namespace}/` : ""}${i.name ?? "?"}` : "";
  const path = i.path ? ` ${i.path}` : "";
  return `${where}${i.severity} [${i.code}]${obj}${path}: ${i.message}`;
}
