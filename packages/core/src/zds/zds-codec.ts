/**
 * ZDS wire codec shared by the node agent (server) and ztunnel (client): one protobuf message per
 * SOCK_SEQPACKET datagram, no length prefix, 1024-byte receive buffers on both ends (wire-spec
 * §5.1). The netns fd travels beside the bytes as SCM_RIGHTS; the codec only checks how many fds
 * came with which message, the socket layer moves them.
 */

import * as pb from "@ambit/api/pb";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ZdsError } from "./zds-error.js";

/** Receive buffer of both ends; a datagram that fills it is treated as truncated. */
export const ZDS_MAX_DATAGRAM = 1024;
/** Strict request/ack: the agent waits this long for each ack before dropping the connection. */
export const ZDS_ACK_TIMEOUT_MS = 5000;
/** NACKed adds (ztunnel failed to start the pod's proxies) are retried at this interval. */
export const ZDS_RETRY_INTERVAL_MS = 5000;
/** ztunnel's reconnect backoff: starts here, doubles, capped at {@link ZDS_RECONNECT_MAX_MS}. */
export const ZDS_RECONNECT_INITIAL_MS = 10;
export const ZDS_RECONNECT_MAX_MS = 15_000;

/** Pod identity as ZDS carries it; ztunnel maps it to its WDS workload with `node == NODE_NAME`. */
export interface ZdsWorkloadInfo {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * One agent → ztunnel request. `uid` is the Kubernetes pod UID (not the WDS uid). An `add`
 * always travels with exactly one netns fd; every other request with none.
 */
export type ZdsRequest =
  | { readonly t: "add"; readonly uid: string; readonly info: ZdsWorkloadInfo }
  | { readonly t: "keep"; readonly uid: string }
  | { readonly t: "del"; readonly uid: string }
  | { readonly t: "snapshot_sent" };

/** A received datagram: its bytes, the fds that came with it, and whether the kernel cut it. */
export interface ZdsDatagram {
  readonly data: Uint8Array;
  readonly fds: readonly number[];
  readonly truncated: boolean;
}

/** Next reconnect delay of ztunnel's backoff (10 ms ×2 up to 15 s). */
export function nextZdsBackoff(prevMs: number | undefined): number {
  if (prevMs === undefined || prevMs <= 0) return ZDS_RECONNECT_INITIAL_MS;
  return Math.min(prevMs * 2, ZDS_RECONNECT_MAX_MS);
}

function checkSize(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length >= ZDS_MAX_DATAGRAM) {
    throw new ZdsError(
      "too_large",
      `zds ${what}: ${bytes.length} bytes exceeds the peer's ${ZDS_MAX_DATAGRAM}-byte buffer`,
    );
  }
  return bytes;
}

function checkReceived(d: ZdsDatagram, what: string): void {
  if (d.truncated || d.data.length >= ZDS_MAX_DATAGRAM) {
    throw new ZdsError(
      "truncated",
      `zds ${what}: datagram of ${d.data.length} bytes fills the ${ZDS_MAX_DATAGRAM}-byte buffer`,
    );
  }
}

function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ZdsError("malformed", `zds ${what}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

function requireUid(uid: string, what: string): string {
  if (uid === "") throw new ZdsError("empty_uid", `zds ${what}: empty uid`);
  return uid;
}

/** ztunnel's first datagram on a new connection. */
export function encodeZdsHello(): Uint8Array {
  return checkSize(
    toBinary(pb.zds.ZdsHelloSchema, create(pb.zds.ZdsHelloSchema, { version: pb.zds.Version.V1 })),
    "hello",
  );
}

/** Checks the first datagram is a V1 hello without fds; anything else ends the connection. */
export function decodeZdsHello(d: ZdsDatagram): void {
  checkReceived(d, "hello");
  if (d.fds.length > 0) throw new ZdsError("unexpected_fd", `zds hello: ${d.fds.length} fd(s) attached`);
  const msg = parse("hello", () => fromBinary(pb.zds.ZdsHelloSchema, d.data));
  if (msg.version !== pb.zds.Version.V1) {
    throw new ZdsError("unsupported_version", `zds hello: version ${msg.version}, want V1`);
  }
}

function requestToPb(r: ZdsRequest): pb.zds.WorkloadRequest["payload"] {
  switch (r.t) {
    case "add":
      return {
        case: "add",
        value: create(pb.zds.AddWorkloadSchema, {
          uid: requireUid(r.uid, "add"),
          workloadInfo: create(pb.zds.WorkloadInfoSchema, { ...r.info }),
        }),
      };
    case "keep":
      return { case: "keep", value: create(pb.zds.KeepWorkloadSchema, { uid: requireUid(r.uid, "keep") }) };
    case "del":
      return { case: "del", value: create(pb.zds.DelWorkloadSchema, { uid: requireUid(r.uid, "del") }) };
    case "snapshot_sent":
      return { case: "snapshotSent", value: create(pb.zds.SnapshotSentSchema, {}) };
  }
}

/** Encodes a request; the caller attaches the netns fd to the datagram iff `r.t === "add"`. */
export function encodeZdsRequest(r: ZdsRequest): Uint8Array {
  const msg = create(pb.zds.WorkloadRequestSchema, { payload: requestToPb(r) });
  return checkSize(toBinary(pb.zds.WorkloadRequestSchema, msg), r.t);
}

/**
 * Decodes a request and enforces the fd rules (exactly one with `add`, none otherwise). On a
 * thrown error the caller still owns (and must close) the datagram's fds.
 */
export function decodeZdsRequest(d: ZdsDatagram): ZdsRequest {
  checkReceived(d, "request");
  const msg = parse("request", () => fromBinary(pb.zds.WorkloadRequestSchema, d.data));
  const p = msg.payload;
  if (p.case === undefined) throw new ZdsError("unknown_message", "zds request: no known payload");
  if (p.case === "add") {
    if (d.fds.length === 0) throw new ZdsError("missing_fd", "zds add: no netns fd attached");
    if (d.fds.length > 1)
      throw new ZdsError("unexpected_fd", `zds add: ${d.fds.length} fds attached, want 1`);
    const info = p.value.workloadInfo;
    return {
      t: "add",
      uid: requireUid(p.value.uid, "add"),
      info: {
        name: info?.name ?? "",
        namespace: info?.namespace ?? "",
        serviceAccount: info?.serviceAccount ?? "",
      },
    };
  }
  if (d.fds.length > 0) throw new ZdsError("unexpected_fd", `zds ${p.case}: ${d.fds.length} fd(s) attached`);
  switch (p.case) {
    case "keep":
      return { t: "keep", uid: requireUid(p.value.uid, "keep") };
    case "del":
      return { t: "del", uid: requireUid(p.value.uid, "del") };
    case "snapshotSent":
      return { t: "snapshot_sent" };
  }
}

/** ztunnel's answer to one request; a non-empty `error` is a NACK. */
export function encodeZdsAck(error = ""): Uint8Array {
  const msg = create(pb.zds.WorkloadResponseSchema, {
    payload: { case: "ack", value: create(pb.zds.AckSchema, { error }) },
  });
  const bytes = toBinary(pb.zds.WorkloadResponseSchema, msg);
  if (bytes.length < ZDS_MAX_DATAGRAM) return bytes;
  // A long error text must not break the protocol: cut it so the ack still fits.
  return encodeZdsAck(`${error.slice(0, ZDS_MAX_DATAGRAM - 64)}…`);
}

/** Decodes an ack; returns the NACK text, or `""` for success. */
export function decodeZdsAck(d: ZdsDatagram): string {
  checkReceived(d, "ack");
  if (d.fds.length > 0) throw new ZdsError("unexpected_fd", `zds ack: ${d.fds.length} fd(s) attached`);
  const msg = parse("ack", () => fromBinary(pb.zds.WorkloadResponseSchema, d.data));
  if (msg.payload.case !== "ack") throw new ZdsError("unknown_message", "zds response: no ack payload");
  return msg.payload.value.error;
}
