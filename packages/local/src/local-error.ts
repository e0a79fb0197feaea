import { CodedError } from "@ambit/core";

/** Closed set of failure codes of the local runtime. */
export type LocalErrorCode =
  | "not_root"
  | "missing_tool"
  | "invalid_manifest"
  | "unsupported_kind"
  | "command_failed"
  | "no_cluster"
  | "cluster_mismatch"
  | "pool_exhausted"
  | "unknown_pod"
  | "unknown_node"
  | "daemon_unavailable"
  | "invalid_argument";

/** The one error class of `@ambit/local`: every failure a user can hit names its code. */
export class LocalError extends CodedError<LocalErrorCode> {}
