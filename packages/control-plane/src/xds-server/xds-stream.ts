import {
  createLogger,
  type DeltaRequest,
  type DeltaResponseFrame,
  encodeDeltaResponse,
  type NonceSource,
  nodeMetadata,
  shortTypeUrl,
} from "@ambit/core";
import type * as grpc from "@grpc/grpc-js";
import type { PushThrottle } from "./push-throttle.js";
import type { SnapshotStore } from "./snapshot-store.js";
import {
  commitPlan,
  heldCount,
  openSubscription,
  planPush,
  type SubscriptionRequest,
  type TypeSubscription,
  updateSubscription,
} from "./subscription.js";
import type { XdsStreamStatus, XdsTypeStatus } from "./xds-status.js";

const log = createLogger("xds.server");

interface TypeState {
  readonly sub: TypeSubscription;
  /** The one unacked response of this type, if any (flow control: at most one in flight). */
  inFlight: { readonly nonce: string; readonly at: number; readonly snapshot: number } | undefined;
  /** The client asked for something (first request, subscription change): answer even if empty. */
  mustRespond: boolean;
  acks: number;
  nacks: number;
  lastAck: { readonly nonce: string; readonly at: number } | undefined;
  lastNack: { readonly nonce: string; readonly message: string; readonly at: number } | undefined;
  lastSentNonce: string | undefined;
}

/** Everything a stream needs from its server. */
export interface StreamContext {
  readonly store: SnapshotStore;
  readonly throttle: PushThrottle;
  readonly nonces: NonceSource;
  readonly now: () => number;
}

type DuplexCall = grpc.ServerDuplexStream<DeltaRequest, DeltaResponseFrame>;

/**
 * One client's delta ADS stream: per-type subscriptions, nonce-checked ACK/NACK, and pushes that
 * coalesce — a stream never queues snapshots; when it may send (no unacked response of that type
 * and room in the throttle's byte budget), it sends the difference between what the client holds and the latest
 * snapshot. A slow client therefore costs at most one response per type, however many updates.
 */
export class XdsStream {
  private readonly types = new Map<string, TypeState>();
  private nodeId: string | undefined;
  private metadata: Record<string, string> = {};
  private closed = false;
  private readonly retry = (): void => this.pump();
  /** Throttle grants of this stream's writes that are not flushed yet. */
  private readonly unflushed = new Set<() => void>();
  readonly connectedAt: number;

  constructor(
    readonly id: string,
    private readonly call: DuplexCall,
    private readonly ctx: StreamContext,
    /** Node name the authenticator vouched for. */
    readonly authenticatedNode: string,
  ) {
    this.connectedAt = ctx.now();
  }

  /** Handle one request; returns an error message when the stream must be closed. */
  onRequest(req: DeltaRequest): string | undefined {
    if (this.nodeId === undefined) {
      if (!req.node?.id) return "first request must carry node.id";
      this.nodeId = req.node.id;
      this.metadata = nodeMetadata(req.node);
    }
    if (req.typeUrl === "") return "request without type_url";
    const subReq: SubscriptionRequest = {
      subscribe: req.resourceNamesSubscribe,
      unsubscribe: req.resourceNamesUnsubscribe,
      initialResourceVersions: req.initialResourceVersions,
    };
    let state = this.types.get(req.typeUrl);
    if (!state) {
      state = {
        sub: openSubscription(req.typeUrl, subReq),
        inFlight: undefined,
        mustRespond: true,
        acks: 0,
        nacks: 0,
        lastAck: undefined,
        lastNack: undefined,
        lastSentNonce: undefined,
      };
      this.types.set(req.typeUrl, state);
    } else {
      if (req.responseNonce !== "") this.onAckOrNack(state, req);
      if (subReq.subscribe.length > 0 || subReq.unsubscribe.length > 0) {
        if (updateSubscription(state.sub, subReq, this.ctx.store.snapshot)) state.mustRespond = true;
      }
    }
    this.pump();
    return undefined;
  }

  private onAckOrNack(state: TypeState, req: DeltaRequest): void {
    if (state.inFlight?.nonce !== req.responseNonce) {
      // Stale or unknown nonce (a response we superseded, or a previous stream's): ignore it.
      log.debug("ignoring stale nonce", {
        stream: this.id,
        type: shortTypeUrl(req.typeUrl),
        nonce: req.responseNonce,
      });
      return;
    }
    state.inFlight = undefined;
    const at = this.ctx.now();
    if (req.errorDetail) {
      state.nacks += 1;
      state.lastNack = { nonce: req.responseNonce, message: req.errorDetail.message, at };
      // The client keeps its previous version; we do not resend the same version (it would be
      // rejected again). The next change of that resource is pushed normally.
      log.warn("xds NACK", {
        stream: this.id,
        node: this.nodeId,
        type: shortTypeUrl(req.typeUrl),
        nonce: req.responseNonce,
        message: req.errorDetail.message,
      });
    } else {
      state.acks += 1;
      state.lastAck = { nonce: req.responseNonce, at };
    }
  }

  /** Send whatever each type is owed, in subscription order, as far as flow control allows. */
  pump(): void {
    if (this.closed) return;
    const snap = this.ctx.store.snapshot;
    for (const state of this.types.values()) {
      if (state.inFlight) continue;
      const { sub } = state;
      if (!state.mustRespond && sub.syncedVersion === snap.version) continue;
      const changed = this.ctx.store.changedSince(sub.typeUrl, sub.syncedVersion);
      const plan = planPush(sub, snap, changed);
      if (!plan.full && plan.resources.length === 0 && plan.removed.length === 0 && !state.mustRespond) {
        sub.syncedVersion = snap.version;
        continue;
      }
      let nonce: string;
      let bytes: Uint8Array;
      let cost: number;
      if (plan.full) {
        const full = snap.fullResponse(
          sub.typeUrl,
          this.ctx.nonces.keyed(`full-${snap.version}-${shortTypeUrl(sub.typeUrl)}`),
          (r) => this.ctx.store.encode(r),
        );
        nonce = full.nonce;
        bytes = full.bytes;
        cost = 0; // shared by every stream and held by the snapshot anyway
      } else {
        nonce = this.ctx.nonces.next();
        bytes = encodeDeltaResponse(
          {
            typeUrl: sub.typeUrl,
            nonce,
            systemVersionInfo: String(snap.version),
            removedResources: plan.removed,
          },
          plan.resources.map((r) => this.ctx.store.encode(r)),
        );
        cost = bytes.byteLength;
      }
      const release = this.ctx.throttle.tryAcquire(this.retry, cost);
      if (!release) return; // queued: the throttle calls pump() again when bytes free up
      commitPlan(sub, plan, snap);
      state.mustRespond = false;
      state.inFlight = { nonce, at: this.ctx.now(), snapshot: snap.version };
      state.lastSentNonce = nonce;
      this.unflushed.add(release);
      this.call.write(bytes, () => {
        this.unflushed.delete(release);
        release();
      });
      if (log.debugEnabled) {
        log.debug("pushed", {
          stream: this.id,
          type: shortTypeUrl(sub.typeUrl),
          nonce,
          resources: plan.full ? snap.of(sub.typeUrl).size : plan.resources.length,
          removed: plan.removed.length,
        });
      }
    }
  }

  /** Stream ended: give back its throttle grants and stop pushing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.throttle.cancel(this.retry);
    for (const release of this.unflushed) release();
    this.unflushed.clear();
  }

  /** End the stream from the server side (the client reconnects with its versions). */
  disconnect(code: grpc.status, details: string): void {
    this.call.emit("error", { code, details });
  }

  status(): XdsStreamStatus {
    const current = this.ctx.store.snapshot.version;
    const types: XdsTypeStatus[] = [...this.types.values()].map((s) => ({
      typeUrl: s.sub.typeUrl,
      wildcard: s.sub.wildcard,
      names: [...s.sub.names],
      resourcesHeld: heldCount(s.sub),
      syncedVersion: s.sub.syncedVersion,
      inFlightNonce: s.inFlight?.nonce,
      lastSentNonce: s.lastSentNonce,
      acks: s.acks,
      nacks: s.nacks,
      lastAckNonce: s.lastAck?.nonce,
      lastNack: s.lastNack,
      sync: syncState(s, current),
    }));
    return {
      id: this.id,
      nodeId: this.nodeId ?? "",
      authenticatedNode: this.authenticatedNode,
      metadata: this.metadata,
      peer: this.call.getPeer(),
      connectedAt: this.connectedAt,
      types,
    };
  }
}

function syncState(s: TypeState, current: number): XdsTypeStatus["sync"] {
  if (s.lastSentNonce === undefined) return "not_sent";
  if (s.inFlight) return "stale";
  if (s.lastNack && s.lastNack.nonce === s.lastSentNonce) return "nacked";
  return s.sub.syncedVersion === current && !s.mustRespond ? "synced" : "stale";
}
