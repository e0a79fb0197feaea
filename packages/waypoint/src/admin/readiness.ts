/**
 * `/healthz/ready` of the waypoint: ready only with a certificate for its own identity AND a first
 * configuration. Before that, a ztunnel sending to it would be refused (no TLS identity) or get
 * 503s (no listeners), so the pod must not be counted as a serving waypoint.
 */
import type { HttpAnswer } from "@ambit/core";

export interface WaypointReadinessInputs {
  /** Root certificate and node token found. */
  readonly bootstrapped: boolean;
  /** A valid certificate for the waypoint identity is held. */
  readonly certificate: boolean;
  /** A configuration is in force. */
  readonly config: boolean;
  /** SIGTERM received: the pod must leave the serving set while open tunnels drain. */
  readonly draining: boolean;
  /** Names used in the reasons. */
  readonly identity: string;
  readonly resource: string;
}

export interface WaypointReadiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export function decideWaypointReadiness(i: WaypointReadinessInputs): WaypointReadiness {
  const reasons: string[] = [];
  if (i.draining) reasons.push("draining: the waypoint is shutting down");
  if (!i.bootstrapped) reasons.push("waiting for the control plane root certificate and node token");
  else if (!i.certificate) reasons.push(`waiting for a certificate for ${i.identity}`);
  if (!i.config) reasons.push(`waiting for the configuration ${i.resource} from the control plane`);
  return { ready: reasons.length === 0, reasons };
}

/** 200 `ready` or 503 with the reasons; 404 for any other path. */
export function readinessRoute(r: WaypointReadiness, url: URL): HttpAnswer {
  if (url.pathname !== "/healthz/ready")
    return { code: 404, body: { error: `unknown path ${url.pathname}` } };
  return r.ready ? { code: 200, body: "ready\n", contentType: "text/plain" } : { code: 503, body: r };
}
