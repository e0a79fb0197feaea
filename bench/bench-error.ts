import { CodedError } from "@ambit/core";

/** Closed set of benchmark failures; each message names the path/scenario and the tool's own words. */
export type BenchErrorCode =
  | "bad_option"
  | "missing_tool"
  | "not_root"
  | "path_setup_failed"
  | "path_unreachable"
  | "scenario_failed"
  | "tool_output"
  | "timeout";

/** The bench harness's one error class. */
export class BenchError extends CodedError<BenchErrorCode> {
  override readonly name = "BenchError";
}
