import { CodedError } from "../errors.js";

/**
 * Why a ZDS datagram was refused. Every code is a protocol violation by the peer (or an
 * oversized message of our own), so both ends drop the connection on any of them, as Istio does.
 */
export type ZdsErrorCode =
  /** The datagram filled the 1024-byte receive buffer (or the kernel reported MSG_TRUNC). */
  | "truncated"
  /** Our own message would exceed the peer's 1024-byte buffer; never sent. */
  | "too_large"
  /** Bytes that are not the expected protobuf message. */
  | "malformed"
  /** A oneof with no known case (newer peer or garbage). */
  | "unknown_message"
  /** `ZdsHello.version` is not V1. */
  | "unsupported_version"
  /** `AddWorkload` arrived without its netns fd. */
  | "missing_fd"
  /** More than one fd, or any fd on a message other than `AddWorkload`. */
  | "unexpected_fd"
  /** A workload request with an empty uid. */
  | "empty_uid";

/** The one error class of the ZDS codec. */
export class ZdsError extends CodedError<ZdsErrorCode> {}
