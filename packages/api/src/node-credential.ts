/**
 * How a ztunnel proves which node it runs on when it calls the control plane (CA and xDS) in
 * local mode: gRPC metadata `authorization: Bearer <node bootstrap token>` plus
 * `x-ambit-node: <node>`. The control plane stores only a hash of the token
 * (docs/architecture/ca.md). Istio's CA request metadata key for node-scoped issuance is
 * `ImpersonatedIdentity` (wire-spec §4).
 */

/** gRPC metadata key carrying `Bearer <token>` (same key Istio uses for the SA token). */
export const NODE_AUTHORIZATION_HEADER = "authorization";
/** gRPC metadata key naming the node the bearer token belongs to. */
export const NODE_NAME_HEADER = "x-ambit-node";
/** `IstioCertificateRequest.metadata` key: the workload identity a node asks a certificate for. */
export const IMPERSONATED_IDENTITY_KEY = "ImpersonatedIdentity";
