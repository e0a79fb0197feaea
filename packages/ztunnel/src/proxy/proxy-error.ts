import type { HboneErrorCode } from "@ambit/core";
import { CodedError, HboneError } from "@ambit/core";
import { SocketsError } from "@ambit/sockets";

/**
 * Every way a proxied connection can fail, inbound or outbound. The mapping to an HBONE status,
 * an Istio `response_flags` value and a human reason lives in {@link PROXY_ERRORS}, and nowhere else.
 */
export type ProxyErrorCode =
  // outbound decisions
  | "self_call"
  | "no_healthy_upstream"
  | "no_service_port"
  | "unknown_waypoint"
  | "cross_network_unsupported"
  | "unknown_source"
  | "no_original_dst"
  // inbound decisions (wire-spec §1.4)
  | "method_not_connect"
  | "bad_authority"
  | "ip_mismatch"
  | "illegal_port"
  | "unknown_destination"
  | "denied"
  | "policy_changed_denied"
  // execution
  | "no_certificate"
  | "upstream_connect_failed"
  | "hbone_connect_failed"
  | "hbone_tls_failed"
  | "hbone_identity_mismatch"
  | "hbone_h2_failed"
  | "hbone_rejected"
  | "hbone_dead"
  | "stream_reset"
  | "io_error"
  | "shutdown";

/** Istio's `response_flags` label values used by ztunnel (wire-spec §2.4). */
export type ResponseFlags =
  | "-"
  | "DENY"
  | "CONNECT"
  | "TLS_FAILURE"
  | "H2_HANDSHAKE_FAILURE"
  | "IDENTITY_ERROR";

interface ErrorFacts {
  /** HBONE status the inbound server answers with (only meaningful for inbound codes). */
  readonly status: number;
  readonly flags: ResponseFlags;
  /** What a user should read in the access log. */
  readonly reason: string;
}

/** The one table: code → HBONE status, response flags, actionable reason. */
export const PROXY_ERRORS: Readonly<Record<ProxyErrorCode, ErrorFacts>> = {
  self_call: { status: 503, flags: "CONNECT", reason: "destination is one of ztunnel's own ports" },
  no_healthy_upstream: { status: 503, flags: "CONNECT", reason: "service has no healthy endpoint" },
  no_service_port: { status: 503, flags: "CONNECT", reason: "service does not expose this port" },
  unknown_waypoint: { status: 503, flags: "CONNECT", reason: "waypoint configured but not found/healthy" },
  cross_network_unsupported: { status: 503, flags: "CONNECT", reason: "destination on another network" },
  unknown_source: { status: 503, flags: "CONNECT", reason: "source pod's workload not known (yet)" },
  no_original_dst: { status: 503, flags: "CONNECT", reason: "connection was not redirected" },
  method_not_connect: { status: 400, flags: "-", reason: "HBONE request method is not CONNECT" },
  bad_authority: { status: 400, flags: "-", reason: "HBONE :authority missing or not ip:port" },
  ip_mismatch: { status: 400, flags: "-", reason: "HBONE target IP is not this pod's IP" },
  illegal_port: { status: 503, flags: "CONNECT", reason: "HBONE target port is a ztunnel port" },
  unknown_destination: { status: 503, flags: "CONNECT", reason: "destination workload unknown" },
  denied: { status: 401, flags: "DENY", reason: "denied by authorization policy" },
  policy_changed_denied: { status: 401, flags: "DENY", reason: "closed: policy changed and now denies" },
  no_certificate: { status: 503, flags: "TLS_FAILURE", reason: "no certificate for the workload identity" },
  upstream_connect_failed: { status: 503, flags: "CONNECT", reason: "could not connect to the application" },
  hbone_connect_failed: { status: 503, flags: "CONNECT", reason: "could not reach the HBONE peer" },
  hbone_tls_failed: { status: 503, flags: "TLS_FAILURE", reason: "TLS handshake with the HBONE peer failed" },
  hbone_identity_mismatch: {
    status: 503,
    flags: "IDENTITY_ERROR",
    reason: "HBONE peer presented an unexpected identity",
  },
  hbone_h2_failed: {
    status: 503,
    flags: "H2_HANDSHAKE_FAILURE",
    reason: "HTTP/2 with the HBONE peer failed",
  },
  hbone_rejected: { status: 503, flags: "CONNECT", reason: "HBONE peer refused the CONNECT" },
  hbone_dead: { status: 503, flags: "CONNECT", reason: "HBONE connection died (no PING answer)" },
  stream_reset: { status: 503, flags: "-", reason: "tunnel reset by peer" },
  io_error: { status: 503, flags: "-", reason: "socket error" },
  shutdown: { status: 503, flags: "-", reason: "proxy shutting down" },
};

const HBONE_CODES: Readonly<Record<HboneErrorCode, ProxyErrorCode>> = {
  connect_failed: "hbone_connect_failed",
  timeout: "hbone_connect_failed",
  tls_failed: "hbone_tls_failed",
  identity_mismatch: "hbone_identity_mismatch",
  h2_failed: "hbone_h2_failed",
  bad_status: "hbone_rejected",
  stream_reset: "stream_reset",
  ping_timeout: "hbone_dead",
  closed: "shutdown",
};

/** The proxy's one error class; `status`/`flags` come from {@link PROXY_ERRORS}. */
export class ProxyError extends CodedError<ProxyErrorCode> {
  override readonly name = "ProxyError";

  get status(): number {
    return PROXY_ERRORS[this.code].status;
  }

  get flags(): ResponseFlags {
    return PROXY_ERRORS[this.code].flags;
  }

  get reason(): string {
    return PROXY_ERRORS[this.code].reason;
  }

  /** Translate anything thrown while proxying (HBONE, sockets) into a proxy code. */
  static from(e: unknown, fallback: ProxyErrorCode = "io_error"): ProxyError {
    if (e instanceof ProxyError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof HboneError) return new ProxyError(HBONE_CODES[e.code], msg, { cause: e });
    if (e instanceof SocketsError && e.code === "not_redirected") {
      return new ProxyError("no_original_dst", msg, { cause: e });
    }
    return new ProxyError(fallback, msg, { cause: e });
  }
}
