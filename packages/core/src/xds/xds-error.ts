import { CodedError } from "../errors.js";

/** Why an xDS exchange failed; closed set so callers can map it to a status once. */
export type XdsErrorCode =
  | "bad_type_url"
  | "decode_failed"
  | "invalid_resource"
  | "unauthenticated"
  | "stream_closed"
  | "bad_node";

/** The one error class of the xDS modules (client engine, server, state updater). */
export class XdsError extends CodedError<XdsErrorCode> {
  override readonly name = "XdsError";
}
