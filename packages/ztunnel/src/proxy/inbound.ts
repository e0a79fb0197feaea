import http2 from "node:http2";
import type net from "node:net";
import type { ClientAddr, Identity, SocketAddress } from "@ambit/api";
import { canonicalIp, clientAddr, formatSocketAddress } from "@ambit/api";
import {
  abortSocket,
  createLogger,
  type HboneRequest,
  newTraceparent,
  parseTraceparent,
  pipeSocketStream,
} from "@ambit/core";
import type { ConnectionRecord } from "../telemetry/index.js";
import { authorizeInbound, buildInboundRequest } from "./inbound-request.js";
import { pipeSockets } from "./pipe-sockets.js";
import { ProxyError } from "./proxy-error.js";
import type { InboundResult, LocalInboundRequest, PodContext, ProxyInputs } from "./proxy-inputs.js";
import { workloadBaggage } from "./workload-baggage.js";

const log = createLogger("proxy.inbound");

/** Failure fields for telemetry from a ProxyError. */
export function failureOf(e: ProxyError) {
  return { code: e.code, flags: e.flags, reason: e.reason, message: e.message };
}

interface InboundCall {
  readonly method: string;
  readonly authority: string | undefined;
  readonly local: SocketAddress;
  readonly peer: ClientAddr;
  readonly identity: Identity | undefined;
  readonly rec: ConnectionRecord;
}

/**
 * The inbound decision and upstream connect shared by HBONE (15008), plaintext (15006, identity
 * undefined) and the same-node shortcut: validate, authorize, then connect to the app from the
 * original client IP (transparent) unless client and app share the IP.
 */
export async function serveInbound(
  inputs: ProxyInputs,
  pc: PodContext,
  call: InboundCall,
): Promise<InboundResult> {
  const plan = buildInboundRequest({
    method: call.method,
    authority: call.authority,
    local: call.local,
    pod: pc.pod(),
  });
  if (!plan.ok) return { ok: false, error: new ProxyError(plan.code, `inbound: ${plan.reason}`) };
  call.rec.dst = {
    ip: plan.upstream.ip,
    port: plan.upstream.port,
    workload: plan.pod,
    identity: plan.pod.identity,
  };
  const authz = { pod: plan.pod, identity: call.identity, sourceIp: call.peer.ip, upstream: plan.upstream };
  const decision = authorizeInbound(inputs.state, authz);
  if (!decision.allowed) return { ok: false, error: new ProxyError("denied", `inbound: ${decision.reason}`) };
  try {
    const upstream = await pc.network.connect(plan.upstream, {
      sourceIp: call.peer.ip === plan.upstream.ip ? undefined : call.peer.ip,
      timeoutMs: inputs.connectTimeoutMs ?? 10_000,
    });
    return { ok: true, upstream, authz };
  } catch (e) {
    return { ok: false, error: ProxyError.from(e, "upstream_connect_failed") };
  }
}

function newRecord(
  inputs: ProxyInputs,
  direction: ConnectionRecord["direction"],
  peer: ClientAddr,
  id: string,
  identity: Identity | undefined,
  mtls: boolean,
): ConnectionRecord {
  return {
    id,
    reporter: "destination",
    direction,
    startedAt: Date.now(),
    src: {
      ip: peer.ip,
      port: peer.port,
      workload: inputs.state.findWorkloadByAddress(inputs.network ?? "", peer.ip),
      identity,
    },
    dst: { ip: "", port: 0 },
    service: undefined,
    mtls,
    hbone: undefined,
  };
}

/** Track an open inbound connection for policy re-checks; returns the untrack function. */
function track(
  inputs: ProxyInputs,
  rec: ConnectionRecord,
  r: InboundResult & { ok: true },
  kill: (e: ProxyError) => void,
): () => void {
  return inputs.connections.track({ id: rec.id, authz: r.authz, close: kill });
}

/** The handler for the pod's HBONE server (15008). */
export function hboneInboundHandler(inputs: ProxyInputs, pc: PodContext): (req: HboneRequest) => void {
  return (req) => {
    const tp = req.headers["traceparent"];
    const rec = newRecord(
      inputs,
      "inbound",
      req.peer,
      parseTraceparent(typeof tp === "string" ? tp : undefined) ?? newTraceparent(),
      req.peerIdentity,
      true,
    );
    acceptHbone(inputs, pc, req, rec).catch((e: unknown) => {
      log.error("inbound handler failed", { id: rec.id, error: e });
      req.reject(503);
    });
  };
}

/**
 * Decide and connect, then answer. Returns once the tunnel is piping: the request (its header
 * block, its accept/reject closures) is not kept for the life of the connection, only the stream.
 */
async function acceptHbone(
  inputs: ProxyInputs,
  pc: PodContext,
  req: HboneRequest,
  rec: ConnectionRecord,
): Promise<void> {
  const r = await serveInbound(inputs, pc, {
    method: req.method,
    authority: req.authority,
    local: req.local,
    peer: req.peer,
    identity: req.peerIdentity,
    rec,
  });
  if (!r.ok) {
    req.reject(r.error.status);
    inputs.telemetry.closed(rec, { received: 0, sent: 0, failure: failureOf(r.error) }, false);
    return;
  }
  inputs.telemetry.opened(rec);
  pipeHbone(inputs, rec, r, req.accept({ baggage: workloadBaggage(r.authz.pod, false) }));
}

function pipeHbone(
  inputs: ProxyInputs,
  rec: ConnectionRecord,
  r: InboundResult & { ok: true },
  stream: http2.ServerHttp2Stream,
): void {
  let killed: ProxyError | undefined;
  const untrack = track(inputs, rec, r, (e) => {
    killed = e;
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    r.upstream.destroy();
  });
  void pipeSocketStream(r.upstream, stream).then((res) => {
    untrack();
    const failure =
      killed ??
      (res.outcome === "clean"
        ? undefined
        : ProxyError.from(res.error, res.outcome === "socket_error" ? "io_error" : "stream_reset"));
    inputs.telemetry.closed(rec, {
      received: res.toSocket,
      sent: res.toStream,
      failure: failure && failureOf(failure),
    });
  });
}

/** The same checks for a same-node caller that skips TLS (the identity is the caller pod's). */
export function localInbound(inputs: ProxyInputs, pc: PodContext) {
  return async (req: LocalInboundRequest, local: SocketAddress, id: string): Promise<InboundResult> => {
    const rec = newRecord(inputs, "inbound", req.peer, id, req.identity, true);
    const r = await serveInbound(inputs, pc, {
      method: "CONNECT",
      authority: req.authority,
      local,
      peer: req.peer,
      identity: req.identity,
      rec,
    });
    if (!r.ok) {
      inputs.telemetry.closed(rec, { received: 0, sent: 0, failure: failureOf(r.error) }, false);
      return r;
    }
    inputs.telemetry.opened(rec);
    // The caller pipes; we observe the upstream socket to close telemetry and tracking.
    const untrack = track(inputs, rec, r, (e) => r.upstream.destroy(e));
    r.upstream.once("close", () => {
      untrack();
      inputs.telemetry.closed(rec, { received: r.upstream.bytesWritten, sent: r.upstream.bytesRead });
    });
    return r;
  };
}

/** The handler for the pod's plaintext inbound listener (15006): L4 policy with no identity. */
export function plaintextInboundHandler(inputs: ProxyInputs, pc: PodContext): (sock: net.Socket) => void {
  return (sock) => {
    sock.on("error", () => {});
    const orig = pc.network.originalDst(sock);
    const peerIp = canonicalIp(sock.remoteAddress ?? "");
    const pod = pc.pod();
    if (!orig || peerIp === undefined || !pod) {
      sock.destroy();
      return;
    }
    const peer = clientAddr(peerIp, sock.remotePort ?? 0);
    const rec = newRecord(inputs, "inbound_plaintext", peer, newTraceparent(), undefined, false);
    void (async () => {
      // The original destination's IP is what the client dialled; it must be this pod's.
      const r = await serveInbound(inputs, pc, {
        method: "CONNECT",
        authority: formatSocketAddress(orig),
        local: { ip: orig.ip, port: orig.port },
        peer,
        identity: undefined,
        rec,
      });
      if (!r.ok) {
        abortSocket(sock);
        inputs.telemetry.closed(rec, { received: 0, sent: 0, failure: failureOf(r.error) }, false);
        return;
      }
      inputs.telemetry.opened(rec);
      let killed: ProxyError | undefined;
      const untrack = track(inputs, rec, r, (e) => {
        killed = e;
        sock.destroy();
        r.upstream.destroy();
      });
      const res = await pipeSockets(sock, r.upstream);
      untrack();
      const failure = killed ?? (res.error ? ProxyError.from(res.error) : undefined);
      inputs.telemetry.closed(rec, {
        received: res.received,
        sent: res.sent,
        failure: failure && failureOf(failure),
      });
    })();
  };
}
