import { CodedError } from "../errors.js";

/**
 * Why an HBONE operation failed. Closed set so the proxy can map each to one access-log reason and
 * one `response_flags` value (`connect_failed` → CONNECT, `tls_failed`/`identity_mismatch` →
 * TLS_FAILURE, `h2_failed` → H2_HANDSHAKE_FAILURE) without parsing messages.
 */
export type HboneErrorCode =
  /** TCP connect to the next hop failed or timed out. */
  | "connect_failed"
  /** TLS handshake failed (chain, version, ALPN). */
  | "tls_failed"
  /** The peer's certificate chain is fine but none of its SPIFFE URI SANs is expected. */
  | "identity_mismatch"
  /** HTTP/2 session could not be set up or died (GOAWAY with error, protocol error). */
  | "h2_failed"
  /** The CONNECT got a response status other than 200; see {@link HboneError.status}. */
  | "bad_status"
  /** The stream was reset before a response arrived. */
  | "stream_reset"
  /** No PONG within the keepalive timeout: the connection is considered dead. */
  | "ping_timeout"
  /** No response / handshake within the deadline. */
  | "timeout"
  /** The connection or pool was closed (drain, idle release, shutdown). */
  | "closed";

export class HboneError extends CodedError<HboneErrorCode> {
  override readonly name = "HboneError";
  /** HTTP status of the CONNECT response, for `bad_status`. */
  readonly status: number | undefined;

  constructor(code: HboneErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }

  /** Wrap anything thrown by sockets/TLS/h2 code, keeping an HboneError as is. */
  static from(e: unknown, fallback: HboneErrorCode, what: string): HboneError {
    if (e instanceof HboneError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new HboneError(fallback, `${what}: ${msg}`, { cause: e });
  }
}
