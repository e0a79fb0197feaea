import type { Readable } from "node:stream";
import type { ClientAddr, Identity } from "@ambit/api";
import { principalOf } from "@ambit/api";
import type { Listener, Route, WaypointState } from "../config/types.js";
import type { Cancellation } from "../filter/cancel.js";
import {
  type Handler,
  type L7Request,
  type L7Response,
  localResponse,
  type RequestNotes,
} from "../filter/types.js";
import { withFault } from "../filter/with-fault.js";
import { withHeaderModifiers } from "../filter/with-header-modifiers.js";
import { withMirror } from "../filter/with-mirror.js";
import { withRedirect } from "../filter/with-redirect.js";
import { withRetry } from "../filter/with-retry.js";
import { withRewrite } from "../filter/with-rewrite.js";
import { withTimeout } from "../filter/with-timeout.js";
import { authorizeRequest } from "../route/authorize.js";
import { authenticateJwt, type CompiledJwtRule } from "../route/jwt.js";
import type { Random } from "../route/pick.js";
import { selectRoute } from "../route/route-match.js";
import type { SourceWorkload } from "../telemetry/source-baggage.js";
import { createForwarder, type ForwarderOptions } from "../upstream/forwarder.js";
import { WaypointError } from "../waypoint-error.js";
import { weakMemo } from "../weak-memo.js";

/** What is known about the tunnel a request arrived in. */
export interface TunnelInfo {
  readonly state: WaypointState;
  readonly listener: Listener;
  readonly servicePort: number;
  readonly peerIdentity: Identity;
  readonly peer: ClientAddr;
  /** The client workload from the CONNECT's `baggage`, for telemetry; undefined without one. */
  readonly source: SourceWorkload | undefined;
}

export interface PipelineOptions {
  readonly forwarder: ForwarderOptions;
  /** Compiled RequestAuthentication rules of the current state. */
  jwtRules(): readonly CompiledJwtRule[];
  readonly rand: Random;
  nowS(): number;
  /** Largest body buffered for retries/mirrors (default 1 MiB); larger → 413. */
  readonly bodyLimit?: number;
}

/** The outcome of one request, for the writer, metrics and the access log. */
export interface PipelineResult {
  readonly response: L7Response;
  readonly route: Route | undefined;
  readonly notes: RequestNotes;
  readonly requestPrincipal: string | undefined;
}

/** `td/ns/<ns>/sa/<sa>` of a tunnel's peer, built once per identity object (one per tunnel). */
const peerPrincipal = weakMemo((id: Identity) => principalOf(id));

function lazyQuery(search: string): Pick<URLSearchParams, "get"> {
  let q: URLSearchParams | undefined;
  return {
    get: (name) => {
      q ??= new URLSearchParams(search);
      return q.get(name);
    },
  };
}

function readAll(body: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        body.pause();
        reject(
          new WaypointError(
            "body_too_large",
            `request body over ${limit} bytes cannot be buffered for retry/mirror`,
          ),
        );
        return;
      }
      chunks.push(c);
    });
    body.once("end", () => resolve(Buffer.concat(chunks)));
    body.once("error", (e) =>
      reject(new WaypointError("client_aborted", `client body failed: ${e.message}`)),
    );
  });
}

/**
 * The request path in decide-then-do order: authenticate (JWT → 401), authorize (L7 policy →
 * 403), route (→ 404), then the route layers, outermost first: fault → redirect → header
 * modifiers → rewrite → mirror → request timeout → retry (+ backend timeout) → forward.
 * Every failure becomes a local response with a reason; nothing throws out of here.
 */
export function createPipeline(opts: PipelineOptions) {
  const forward = createForwarder(opts.forwarder);
  const chain: Handler = withFault(
    withRedirect(
      withHeaderModifiers(
        withRewrite(
          withMirror((hostname, port) => createForwarder(opts.forwarder, { hostname, port }))(
            withTimeout(withRetry(forward)),
          ),
        ),
      ),
    ),
  );
  const limit = opts.bodyLimit ?? 1 << 20;
  return async (req: L7Request, t: TunnelInfo, signal: Cancellation): Promise<PipelineResult> => {
    const notes: RequestNotes = {
      upstream: undefined,
      upstreamService: undefined,
      flags: [],
      reason: undefined,
      attempts: 0,
    };
    const header = (n: string) => {
      const v = req.headers[n];
      return v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
    };
    const service = t.listener.hostname;
    const jwt = authenticateJwt(opts.jwtRules(), service, header, opts.nowS());
    if (jwt.t === "invalid") {
      notes.reason = jwt.reason;
      const res = localResponse(401, jwt.reason, {
        "www-authenticate": 'Bearer realm="ambit", error="invalid_token"',
      });
      return { response: res, route: undefined, notes, requestPrincipal: undefined };
    }
    const requestPrincipal = jwt.t === "ok" ? jwt.principal : undefined;
    const colon = req.authority.lastIndexOf(":");
    const host = (
      colon > 0 && !req.authority.endsWith("]") ? req.authority.slice(0, colon) : req.authority
    ).toLowerCase();
    const principal = peerPrincipal(t.peerIdentity);
    const authz = authorizeRequest(t.state.policies, {
      service,
      host,
      method: req.method,
      path: req.path,
      port: t.servicePort,
      header,
      sourcePrincipal: principal,
      sourceNamespace: t.peerIdentity.namespace,
      requestPrincipal,
      claims: jwt.t === "ok" ? jwt.claims : undefined,
    });
    if (!authz.allowed) {
      notes.reason = authz.reason;
      return {
        response: localResponse(403, "RBAC: access denied"),
        route: undefined,
        notes,
        requestPrincipal,
      };
    }
    const sel = selectRoute(t.listener, {
      method: req.method,
      path: req.path,
      // Parsed only if a route matches on query parameters.
      query: lazyQuery(req.search),
      header,
      host,
      port: t.servicePort,
    });
    if (!sel) {
      notes.flags.push("NR");
      notes.reason = "no route matched";
      return { response: localResponse(404, "no route matched"), route: undefined, notes, requestPrincipal };
    }
    const ctx = {
      state: t.state,
      listener: t.listener,
      route: sel.route,
      match: sel.match,
      servicePort: t.servicePort,
      signal,
      rand: opts.rand,
      notes,
      peerIdentity: t.peerIdentity,
      peer: t.peer,
    };
    try {
      let body = req.body;
      if ((sel.route.retry || sel.route.mirrors.length > 0) && !Buffer.isBuffer(body))
        body = await readAll(body, limit);
      const response = await chain(body === req.body ? req : { ...req, body }, ctx);
      return { response, route: sel.route, notes, requestPrincipal };
    } catch (e) {
      const err = WaypointError.from(e);
      if (err.flag !== "-" && !notes.flags.includes(err.flag)) notes.flags.push(err.flag);
      notes.reason = err.message;
      return { response: localResponse(err.status, err.message), route: sel.route, notes, requestPrincipal };
    }
  };
}
