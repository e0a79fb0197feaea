/**
 * HBONE wire settings (wire-spec §1.1, §1.6, §1.7). One place so the client, the server and the
 * waypoint agree with each other and with Istio's ztunnel.
 */
export const HboneSettings = {
  /** HTTP/2 INITIAL_WINDOW_SIZE per stream: 4 MiB (ztunnel `HTTP2_STREAM_WINDOW_SIZE`). */
  streamWindow: 4 * 1024 * 1024,
  /** Connection-level receive window: 16 MiB (ztunnel `HTTP2_CONNECTION_WINDOW_SIZE`). */
  connectionWindow: 16 * 1024 * 1024,
  /** MAX_FRAME_SIZE: 1 MiB. */
  maxFrameSize: 1024 * 1024,
  clientMaxHeaderListSize: 16 * 1024,
  serverMaxHeaderListSize: 64 * 1024,
  /** Client-side stream cap per connection (`POOL_MAX_STREAMS_PER_CONNECTION`). */
  clientMaxStreams: 100,
  /** Server MAX_CONCURRENT_STREAMS. */
  serverMaxStreams: 200,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 20_000,
  /** Idle pooled connection release (`POOL_UNUSED_RELEASE_TIMEOUT`). */
  idleReleaseMs: 5 * 60_000,
  /** TCP+TLS+h2 setup deadline and upstream connect deadline (`CONNECTION_TIMEOUT`). */
  connectTimeoutMs: 10_000,
  /** Node's per-session memory cap in MB; raised so a 16 MiB window never trips ENHANCE_YOUR_CALM. */
  maxSessionMemoryMb: 128,
} as const;
