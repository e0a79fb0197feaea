import type net from "node:net";
import type { ClientAddr } from "@ambit/api";
import { canonicalIp, clientAddr, formatSocketAddress, origDstAddr, Ports } from "@ambit/api";
import {
  abortSocket,
  connectHeaders,
  createLogger,
  formatForwarded,
  type HbonePool,
  newTraceparent,
  type PipeResult,
  pipeSocketStream,
} from "@ambit/core";
import type { ConnectionOutcome, ConnectionRecord } from "../telemetry/index.js";
import { failureOf } from "./inbound.js";
import { buildOutboundRequest, type OutboundRequest } from "./outbound-request.js";
import { pipeSockets, type SocketPipeResult } from "./pipe-sockets.js";
import { ProxyError } from "./proxy-error.js";
import type { PodContext, ProxyInputs } from "./proxy-inputs.js";
import { workloadBaggage } from "./workload-baggage.js";

const log = createLogger("proxy.outbound");

const noop = () => {};

/**
 * The handler for the pod's outbound listener (15001): recover the original destination, decide
 * with {@link buildOutboundRequest}, then carry the plan out (HBONE through the pod's pool, plain
 * TCP, or the same-node shortcut), and report one access-log line per connection.
 */
export function outboundHandler(
  inputs: ProxyInputs,
  pc: PodContext,
  pool: HbonePool,
): (sock: net.Socket) => void {
  return (sock) => {
    sock.on("error", noop);
    serveOutbound(inputs, pc, pool, sock);
  };
}

function failOutbound(inputs: ProxyInputs, sock: net.Socket, rec: ConnectionRecord, e: ProxyError): void {
  abortSocket(sock);
  inputs.telemetry.closed(rec, { received: 0, sent: 0, failure: failureOf(e) }, false);
}

/** One captured connection, start to end: every path ends in exactly one `telemetry.closed`. */
function serveOutbound(inputs: ProxyInputs, pc: PodContext, pool: HbonePool, sock: net.Socket): void {
  const id = newTraceparent();
  const srcIp = canonicalIp(sock.remoteAddress ?? "");
  const source = pc.pod();
  const orig = pc.network.originalDst(sock);
  // Every field set up front: one hidden class for all records, no late property additions.
  const rec: ConnectionRecord = {
    id,
    reporter: "source",
    direction: "outbound",
    startedAt: Date.now(),
    src: { ip: srcIp ?? "", port: sock.remotePort ?? 0, workload: source, identity: source?.identity },
    dst: { ip: orig?.ip ?? "", port: orig?.port ?? 0 },
    service: undefined,
    mtls: false,
    hbone: undefined,
  };
  if (!source || srcIp === undefined) {
    failOutbound(
      inputs,
      sock,
      rec,
      new ProxyError("unknown_source", `outbound from ${pc.name}: pod workload unknown`),
    );
    return;
  }
  if (!orig) {
    failOutbound(
      inputs,
      sock,
      rec,
      new ProxyError("no_original_dst", `outbound from ${pc.name}: no original destination`),
    );
    return;
  }
  const plan = buildOutboundRequest(inputs.state, source, origDstAddr(orig.ip, orig.port));
  if (plan.protocol === "refused") {
    failOutbound(inputs, sock, rec, new ProxyError(plan.code, `outbound: ${plan.reason}`));
    return;
  }
  rec.service = plan.service;
  if (plan.protocol === "hbone") {
    rec.mtls = true;
    rec.hbone = { nextHop: formatSocketAddress(plan.nextHop), authority: plan.hboneTarget };
    rec.dst = {
      ip: orig.ip,
      port: orig.port,
      workload: plan.destinationWorkload,
      identity: plan.upstreamWorkload.identity,
    };
  } else {
    rec.dst = { ip: orig.ip, port: orig.port, workload: plan.destinationWorkload };
  }
  if (log.debugEnabled) log.debug("outbound plan", { id, protocol: plan.protocol, reason: plan.reason });
  inputs.telemetry.opened(rec);
  // No async frame stays suspended for the life of the tunnel: one closure waits instead.
  execute(inputs, pc, pool, sock, clientAddr(srcIp, sock.remotePort ?? 0), plan, id).then(
    (d) => inputs.telemetry.closed(rec, d),
    (e: unknown) => {
      sock.destroy();
      inputs.telemetry.closed(rec, { received: 0, sent: 0, failure: failureOf(ProxyError.from(e)) });
    },
  );
}

function socketsDone(r: SocketPipeResult): ConnectionOutcome {
  const failure = r.error && ProxyError.from(r.error);
  return { received: r.received, sent: r.sent, failure: failure && failureOf(failure) };
}

function streamDone(r: PipeResult): ConnectionOutcome {
  const failure =
    r.outcome === "clean"
      ? undefined
      : ProxyError.from(r.error, r.outcome === "socket_error" ? "io_error" : "stream_reset");
  return { received: r.toStream, sent: r.toSocket, failure: failure && failureOf(failure) };
}

/** Give up on a connection before any byte was proxied. */
function refuse(
  sock: net.Socket,
  e: unknown,
  code: ConstructorParameters<typeof ProxyError>[0],
): ConnectionOutcome {
  abortSocket(sock);
  return { received: 0, sent: 0, failure: failureOf(ProxyError.from(e, code)) };
}

async function execute(
  inputs: ProxyInputs,
  pc: PodContext,
  pool: HbonePool,
  sock: net.Socket,
  client: ClientAddr,
  plan: Exclude<OutboundRequest, { protocol: "refused" }>,
  id: string,
): Promise<ConnectionOutcome> {
  if (plan.protocol === "tcp") {
    let up: net.Socket;
    try {
      up = await pc.network.connect(plan.nextHop, { timeoutMs: inputs.connectTimeoutMs ?? 10_000 });
    } catch (e) {
      return refuse(sock, e, "upstream_connect_failed");
    }
    // Returning the pipe's promise (not awaiting it) ends this frame now.
    return pipeSockets(sock, up).then(socketsDone);
  }
  const source = pc.pod();
  if (!source)
    return refuse(
      sock,
      new ProxyError("unknown_source", "outbound: pod workload vanished"),
      "unknown_source",
    );
  // Same node, straight to the destination pod: skip TLS but run the very same inbound checks.
  const local =
    !plan.viaWaypoint && plan.nextHop.port === Ports.hbone ? inputs.local?.find(plan.nextHop) : undefined;
  if (local) {
    const r = await local.serveLocal({
      authority: plan.hboneTarget,
      identity: source.identity,
      peer: client,
      id,
    });
    if (!r.ok) return refuse(sock, r.error, r.error.code);
    return pipeSockets(sock, r.upstream).then(socketsDone);
  }
  let stream: Awaited<ReturnType<HbonePool["connect"]>>;
  try {
    // The pod's certificate is almost always cached: skip the promise round trip then.
    const cert =
      inputs.certs.findCertificate(source.identity) ??
      (await inputs.certs.fetchCertificate(source.identity).catch((e: unknown) => {
        throw new ProxyError("no_certificate", `outbound: certificate for ${source.name}: ${String(e)}`, {
          cause: e,
        });
      }));
    stream = await pool.connect({
      sourceIdentity: source.identity,
      destinationIdentities: plan.upstreamSans,
      nextHop: plan.nextHop,
      sourceIp: undefined,
      secureContext: cert.secureContext,
      headers: connectHeaders({
        authority: plan.hboneTarget,
        forwarded: formatForwarded(client, plan.service?.hostname),
        baggage: workloadBaggage(source, true),
        traceparent: id,
      }),
    });
  } catch (e) {
    return refuse(sock, e, "hbone_connect_failed");
  }
  return pipeSocketStream(sock, stream).then(streamDone);
}
