/**
 * Sync status of connected xDS clients, as data (for `ambit proxy-status` and the status endpoint).
 * `sync` follows istioctl's vocabulary: SYNCED (latest snapshot sent and ACKed), STALE (a response
 * is unacked, or a newer snapshot is not sent yet), NACKED (the last response was rejected),
 * NOT_SENT (nothing sent yet).
 */
export interface XdsTypeStatus {
  readonly typeUrl: string;
  readonly wildcard: boolean;
  readonly names: readonly string[];
  /** Resources the client holds according to the server. */
  readonly resourcesHeld: number;
  /** Snapshot version the client was last brought up to (-1: not yet). */
  readonly syncedVersion: number;
  readonly inFlightNonce: string | undefined;
  readonly lastSentNonce: string | undefined;
  readonly acks: number;
  readonly nacks: number;
  readonly lastAckNonce: string | undefined;
  readonly lastNack: { readonly nonce: string; readonly message: string; readonly at: number } | undefined;
  readonly sync: "synced" | "stale" | "nacked" | "not_sent";
}

export interface XdsStreamStatus {
  /** Server-local stream id. */
  readonly id: string;
  /** `node.id` from the first request (e.g. `ztunnel~10.0.0.1~ztunnel-abc.istio-system~…`). */
  readonly nodeId: string;
  /** Node the authenticator vouched for. */
  readonly authenticatedNode: string;
  /** `node.metadata` as strings (NAME, NAMESPACE, NODE_NAME, CLUSTER_ID, …). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly peer: string;
  /** Epoch ms. */
  readonly connectedAt: number;
  readonly types: readonly XdsTypeStatus[];
}

export interface XdsServerStatus {
  /** Current snapshot version (0 before the first update). */
  readonly snapshotVersion: number;
  readonly streams: readonly XdsStreamStatus[];
  /** Per-client responses being written right now, their bytes, and streams waiting for budget. */
  readonly pushesActive: number;
  readonly pushBytesActive: number;
  readonly pushesQueued: number;
}
