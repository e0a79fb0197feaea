import type { DesiredEntry } from "./state-dir.js";

/** Bodies of the daemon's control API (HTTP over `<stateDir>/daemon.sock`). */
export interface UpRequest {
  readonly nodes?: number;
  readonly objects: readonly DesiredEntry[];
}
export interface ApplyRequest {
  readonly objects: readonly DesiredEntry[];
}
export interface DeleteRequest {
  readonly keys: readonly string[];
}

/**
 * Long operations answer with NDJSON: progress lines as they happen, then one `result` or one
 * `error` line (so the CLI shows progress live and still gets a typed outcome).
 */
export type DaemonEvent =
  | { readonly t: "progress"; readonly line: string }
  | { readonly t: "result"; readonly value: unknown }
  | { readonly t: "error"; readonly code: string; readonly message: string };
