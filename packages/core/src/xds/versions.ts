import { createHash, randomBytes } from "node:crypto";

/**
 * Resource version = content hash of the encoded payload. Deterministic, so an unchanged resource
 * keeps its version across snapshots and control-plane restarts, which is what lets delta xDS skip
 * it on reconnect (`initial_resource_versions`).
 */
export function contentVersion(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64url").slice(0, 16);
}

/** Produces unique nonces for one process: a random prefix (so restarts never reuse) plus a counter. */
export interface NonceSource {
  next(): string;
}

export function createNonceSource(): NonceSource {
  const prefix = randomBytes(4).toString("hex");
  let n = 0;
  return {
    next() {
      n += 1;
      return `${prefix}-${n.toString(36)}`;
    },
  };
}
