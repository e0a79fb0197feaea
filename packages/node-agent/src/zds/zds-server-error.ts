import { CodedError } from "@ambit/core";

/** Why a ZDS request did not get an ack. */
export type ZdsServerErrorCode =
  /** No ztunnel is connected (the next snapshot will carry the pod). */
  | "no_ztunnel"
  /** ztunnel did not ack within the deadline; the connection was dropped. */
  | "ack_timeout"
  /** The connection closed before the ack arrived. */
  | "connection_lost"
  /** The pod's netns could not be opened to pass its fd. */
  | "netns_unavailable"
  /** The server is stopped. */
  | "stopped";

/** The one error class of the ZDS server. */
export class ZdsServerError extends CodedError<ZdsServerErrorCode> {}
