import type { HttpAnswer } from "@ambit/core";

/** What readiness depends on, sampled at probe time. */
export interface ReadinessInputs {
  /** Root cert and node token found (nothing can connect before). */
  readonly bootstrapped: boolean;
  /** First full xDS sync: both Address and Authorization ACKed once. */
  readonly xdsSynced: boolean;
  /** In-pod mode: undefined when disabled; else whether the first ZDS snapshot completed with no failed proxy. */
  readonly inpodReady: boolean | undefined;
}

/** A readiness decision with the reasons it is not ready (shown in the probe body). */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/**
 * Ready only when every pod handed over so far has its proxies and the mesh state is complete:
 * before that, a pod's traffic could be captured into listeners that do not exist yet or decided
 * against a partial state (Istio ztunnel's readiness blocks on the same two tasks).
 */
export function decideReadiness(i: ReadinessInputs): Readiness {
  const reasons: string[] = [];
  if (!i.bootstrapped) reasons.push("waiting for the control plane root certificate and node token");
  if (!i.xdsSynced) reasons.push("waiting for the first full xDS sync (Address and Authorization ACKed)");
  if (i.inpodReady === false)
    reasons.push("waiting for the node agent's ZDS snapshot with every pod proxy started");
  return { ready: reasons.length === 0, reasons };
}

/** `/healthz/ready`: 200 when ready, 503 with the reasons otherwise. */
export function readinessRoute(r: Readiness, url: URL): HttpAnswer {
  if (url.pathname !== "/healthz/ready")
    return { code: 404, body: { error: `unknown path ${url.pathname}` } };
  return r.ready ? { code: 200, body: "ready\n", contentType: "text/plain" } : { code: 503, body: r };
}
