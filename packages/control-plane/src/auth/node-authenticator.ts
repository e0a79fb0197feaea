import type { Metadata } from "@grpc/grpc-js";

/** Who is calling: a ztunnel proved it runs on `node`. */
export interface NodeCaller {
  readonly node: string;
  /** How it proved it (for logs): local bootstrap token today, Kubernetes TokenReview later. */
  readonly method: "bootstrap-token";
}

/**
 * Caller authentication shared by the CA and the xDS server: turns request metadata into the
 * node the caller runs on, or throws an {@link AuthError} (→ UNAUTHENTICATED).
 *
 * It is synchronous because the local implementation answers from memory. A Kubernetes
 * implementation (TokenReview of the ztunnel service-account token, then pod → node lookup) will
 * need I/O; callers should therefore `await` the result already (awaiting a plain value is free),
 * so widening the return type to `NodeCaller | Promise<NodeCaller>` later breaks nobody.
 */
export interface NodeAuthenticator {
  authenticate(metadata: Metadata): NodeCaller;
}
