import { CodedError } from "@ambit/core";

/** Why rendering or reading rules failed. */
export type RulesErrorCode =
  /** `nft -j` output that is not the JSON document nft writes. */
  | "bad_nft_json"
  /** `ip -j` output that is not JSON. */
  | "bad_ip_json";

/** The one error class of `rules/`. */
export class RulesError extends CodedError<RulesErrorCode> {}
