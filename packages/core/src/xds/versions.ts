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
  /**
   * A nonce derived from a key (`full-<snapshot>-<type>`): the same for every stream, which lets
   * a server encode one response and send the same bytes to many streams. Nonces only need to be
   * unique within a stream, and keyed nonces never collide with counter ones.
   */
  keyed(key: string): string;
}

export function createNonceSource(): NonceSource {
  const prefix = randomBytes(4).toString("hex");
  let n = 0;
  return {
    next() {
      n += 1;
      return `${prefix}-${n.toString(36)}`;
    },
    keyed(key) {
      return `${prefix}~${key}`;
    },
  };
}
