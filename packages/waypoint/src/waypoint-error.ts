import { CodedError } from "@ambit/core";

/**
 * Why a request did not get an upstream answer. One table maps each code to the HTTP status the
 * client sees and the Envoy-style response flag in metrics and access logs (style rule 5).
 */
export type WaypointErrorCode =
  | "no_route"
  | "no_listener"
  | "no_backend"
  | "no_healthy_upstream"
  | "upstream_connect_failed"
  | "upstream_reset"
  | "upstream_timeout"
  | "request_timeout"
  | "client_aborted"
  | "body_too_large"
  | "bad_request";

const TABLE: Record<WaypointErrorCode, { status: number; flag: string; retriable: boolean }> = {
  no_route: { status: 404, flag: "NR", retriable: false },
  no_listener: { status: 404, flag: "NR", retriable: false },
  no_backend: { status: 500, flag: "NR", retriable: false },
  no_healthy_upstream: { status: 503, flag: "UH", retriable: false },
  upstream_connect_failed: { status: 503, flag: "UF", retriable: true },
  upstream_reset: { status: 503, flag: "UC", retriable: true },
  upstream_timeout: { status: 504, flag: "UT", retriable: true },
  request_timeout: { status: 504, flag: "UT", retriable: false },
  client_aborted: { status: 499, flag: "DC", retriable: false },
  body_too_large: { status: 413, flag: "-", retriable: false },
  bad_request: { status: 400, flag: "-", retriable: false },
};

export class WaypointError extends CodedError<WaypointErrorCode> {
  get status(): number {
    return TABLE[this.code].status;
  }
  get flag(): string {
    return TABLE[this.code].flag;
  }
  get retriable(): boolean {
    return TABLE[this.code].retriable;
  }
  static from(e: unknown): WaypointError {
    if (e instanceof WaypointError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new WaypointError("upstream_reset", `upstream failed: ${msg}`, { cause: e });
  }
}
