import { CodedError } from "@ambit/core";

/** Why a command inside a pod's network namespace failed. */
export type NetnsErrorCode =
  /** The netns path does not exist (pod already gone). */
  | "netns_missing"
  /** The command ran and exited non-zero (stderr is in the message). */
  | "command_failed"
  /** The command did not finish in time. */
  | "timeout"
  /** A path or name that would be unsafe to pass on. */
  | "invalid_path";

/** The one error class of `netns/`. */
export class NetnsError extends CodedError<NetnsErrorCode> {}
