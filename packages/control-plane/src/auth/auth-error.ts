import { CodedError } from "@ambit/core";
import { status } from "@grpc/grpc-js";

/**
 * Why a caller could not be authenticated (or a credential could not be managed). Every
 * authentication failure maps to gRPC UNAUTHENTICATED; the code is for logs and tests only, and
 * is never echoed in detail to the caller beyond the message.
 */
export type AuthErrorCode =
  | "missing_credentials"
  | "malformed_credentials"
  | "invalid_node_name"
  | "unknown_node"
  | "invalid_token"
  | "credential_store";

export class AuthError extends CodedError<AuthErrorCode> {
  override readonly name = "AuthError";
  /** The one gRPC status every authentication failure maps to. */
  readonly grpcCode = status.UNAUTHENTICATED;
}
