import { CodedError } from "@ambit/core";

/**
 * CA failures, a closed set. The gRPC status is chosen in one place (`ca-service.ts`):
 * `invalid_request`, `invalid_csr` → INVALID_ARGUMENT; `not_on_node` → PERMISSION_DENIED;
 * `signing_failed` → INTERNAL. `bad_ca_material` is a startup error (unusable root/intermediate).
 */
export type CaErrorCode =
  | "invalid_request"
  | "invalid_csr"
  | "not_on_node"
  | "signing_failed"
  | "bad_ca_material";

export class CaError extends CodedError<CaErrorCode> {
  override readonly name = "CaError";
}
