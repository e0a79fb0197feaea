import { CodedError } from "@ambit/core";

/** Closed set of harness failures; `command_failed` carries the command line and its stderr. */
export type NetnsErrorCode = "command_failed" | "not_root" | "invalid_name" | "closed";

/**
 * The harness's one error class. Messages quote the exact command and the kernel's words (stderr)
 * because a failing namespace test is otherwise unreadable.
 */
export class NetnsError extends CodedError<NetnsErrorCode> {
  override readonly name = "NetnsError";
}
