import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { errorMessage } from "../errors.js";
import { createLogger } from "../logger.js";
import { type DeltaRequest, type DeltaResponse, deltaAdsMethod } from "./ads-method.js";
import { shortTypeUrl } from "./type-urls.js";

const log = createLogger("xds.client");

/** One resource of a delta response, as handed to a type handler. */
export interface DeltaResourceView {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  readonly resource?: Any | undefined;
}

/** One whole delta response for one type; a handler applies it atomically. */
export interface DeltaUpdate {
  readonly typeUrl: string;
  readonly resources: readonly DeltaResourceView[];
  readonly removed: readonly string[];
}

/** A resource the handler refused; its previous version (if any) stays in force. */
export interface ResourceRejection {
  readonly name: string;
  readonly reason: string;
}

/** Applies updates of one type. Must be synchronous so responses are applied strictly in order. */
export interface DeltaTypeHandler {
  readonly typeUrl: string;
  apply(update: DeltaUpdate): readonly ResourceRejection[];
}

/** A type to subscribe to: wildcard when `names` is undefined, else exactly those names/aliases. */
export interface DeltaSubscription {
  readonly handler: DeltaTypeHandler;
  readonly names?: readonly string[];
}

/** Things that happened, for readiness, metrics and tests. */
export type DeltaClientEvent =
  | { readonly t: "stream_open"; readonly attempt: number }
  | { readonly t: "ack"; readonly typeUrl: string; readonly nonce: string; readonly first: boolean }
  | { readonly t: "nack"; readonly typeUrl: string; readonly nonce: string; readonly message: string }
  | { readonly t: "stream_closed"; readonly reason: string; readonly retryInMs: number };

export interface DeltaAdsClientOptions {
  /** `host:port` of the control plane. */
  readonly address: string;
  readonly credentials: grpc.ChannelCredentials;
  /** Merged over the defaults (keepalive 30 s / 10 s, 200 MiB receive limit). */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Called for every stream, so a rotated token is picked up on reconnect. */
  readonly metadata?: () => grpc.Metadata;
  readonly node: pb.envoyCore.Node;
  /** Order matters: initial requests are sent in this order (Address before Authorization). */
  readonly subscriptions: readonly DeltaSubscription[];
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly onEvent?: (e: DeltaClientEvent) => void;
}

/** Per-type status, for the admin endpoint and `ambit proxy-status`. */
export interface DeltaTypeStatus {
  readonly typeUrl: string;
  readonly wildcard: boolean;
  readonly names: readonly string[];
  readonly resources: number;
  readonly acked: boolean;
  readonly lastNonce: string | undefined;
  readonly lastNack: string | undefined;
}

type ClientState =
  | { readonly t: "idle" }
  | { readonly t: "streaming"; readonly call: grpc.ClientDuplexStream<DeltaRequest, DeltaResponse> }
  | { readonly t: "backoff"; readonly timer: NodeJS.Timeout }
  | { readonly t: "closed" };

interface TypeState {
  readonly handler: DeltaTypeHandler;
  names: Set<string> | undefined;
  /** name → version of everything applied: sent back as `initial_resource_versions`. */
  readonly held: Map<string, string>;
  acked: boolean;
  lastNonce: string | undefined;
  lastNack: string | undefined;
}

const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  // grpc-js backs its channel reconnects off up to 120 s; after a long control-plane outage that
  // kept every new stream failing fast long after the server was back (e2e: 18–41 s to converge).
  "grpc.max_reconnect_backoff_ms": 5_000,
  "grpc.max_receive_message_length": 200 * 1024 * 1024,
};
/** google.rpc.Code.INVALID_ARGUMENT, carried in NACKs. */
const INVALID_ARGUMENT = 3;

/**
 * The delta ADS client engine (wire-spec §3.3): one bidi stream, one initial request per type in
 * subscription order, ACK/NACK per response with `error_detail.message = "<name>: <reason>"`
 * joined by `"; "`, reconnect with backoff 10 ms doubling to 15 s, and on reconnect
 * `initial_resource_versions` = everything held, so the server resends only what changed.
 */
export class DeltaAdsClient {
  private state: ClientState = { t: "idle" };
  private readonly client: grpc.Client;
  private readonly types = new Map<string, TypeState>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private backoffMs: number;
  private attempt = 0;

  constructor(private readonly opts: DeltaAdsClientOptions) {
    this.client = new grpc.Client(opts.address, opts.credentials, {
      ...DEFAULT_CHANNEL_OPTIONS,
      ...opts.channelOptions,
    });
    for (const s of opts.subscriptions) {
      this.types.set(s.handler.typeUrl, {
        handler: s.handler,
        names: s.names === undefined ? undefined : new Set(s.names),
        held: new Map(),
        acked: false,
        lastNonce: undefined,
        lastNack: undefined,
      });
    }
    this.initialBackoffMs = opts.backoff?.initialMs ?? 10;
    this.maxBackoffMs = opts.backoff?.maxMs ?? 15_000;
    this.backoffMs = this.initialBackoffMs;
  }

  /** Open the stream; reconnects by itself until {@link close}. */
  start(): void {
    if (this.state.t !== "idle") return;
    this.open();
  }

  /** Stop for good: cancel the stream and any pending reconnect. */
  close(): void {
    const s = this.state;
    this.state = { t: "closed" };
    if (s.t === "streaming") s.call.cancel();
    if (s.t === "backoff") clearTimeout(s.timer);
    this.client.close();
  }

  /** True once the first response of this type has been ACKed (stays true across reconnects). */
  isAcked(typeUrl: string): boolean {
    return this.types.get(typeUrl)?.acked ?? false;
  }

  /** Add names to a named subscription (on-demand style); sent at once when connected. */
  subscribe(typeUrl: string, names: readonly string[]): void {
    const t = this.types.get(typeUrl);
    if (!t || t.names === undefined) return;
    const fresh = names.filter((n) => !t.names?.has(n));
    if (fresh.length === 0) return;
    for (const n of fresh) t.names.add(n);
    this.send(create(pb.discovery.DeltaDiscoveryRequestSchema, { typeUrl, resourceNamesSubscribe: fresh }));
  }

  /** Remove names from a named subscription; the client forgets those resources itself. */
  unsubscribe(typeUrl: string, names: readonly string[]): void {
    const t = this.types.get(typeUrl);
    if (!t || t.names === undefined) return;
    const gone = names.filter((n) => t.names?.delete(n));
    if (gone.length === 0) return;
    this.send(create(pb.discovery.DeltaDiscoveryRequestSchema, { typeUrl, resourceNamesUnsubscribe: gone }));
  }

  status(): DeltaTypeStatus[] {
    return [...this.types.values()].map((t) => ({
      typeUrl: t.handler.typeUrl,
      wildcard: t.names === undefined,
      names: t.names ? [...t.names] : [],
      resources: t.held.size,
      acked: t.acked,
      lastNonce: t.lastNonce,
      lastNack: t.lastNack,
    }));
  }

  /** `idle` | `streaming` | `backoff` | `closed`. */
  stateTag(): ClientState["t"] {
    return this.state.t;
  }

  private open(): void {
    this.attempt += 1;
    const md = this.opts.metadata?.() ?? new grpc.Metadata();
    const call = this.client.makeBidiStreamRequest(
      deltaAdsMethod.path,
      deltaAdsMethod.requestSerialize,
      deltaAdsMethod.responseDeserialize,
      md,
    );
    this.state = { t: "streaming", call };
    let ended = false;
    const onEnd = (reason: string) => {
      if (ended) return;
      ended = true;
      this.onStreamEnd(call, reason);
    };
    call.on("data", (resp: DeltaResponse) => this.onResponse(call, resp));
    call.on("error", (e: unknown) => onEnd(errorMessage(e)));
    call.on("status", (s: grpc.StatusObject) => onEnd(`status ${s.code}: ${s.details}`));
    call.on("end", () => onEnd("stream ended by server"));
    this.opts.onEvent?.({ t: "stream_open", attempt: this.attempt });
    for (const t of this.types.values()) call.write(this.initialRequest(t));
  }

  private initialRequest(t: TypeState): DeltaRequest {
    // Wildcard = empty subscribe list on the first request (legacy wildcard, as ztunnel sends).
    return create(pb.discovery.DeltaDiscoveryRequestSchema, {
      node: this.opts.node,
      typeUrl: t.handler.typeUrl,
      resourceNamesSubscribe: t.names === undefined ? [] : [...t.names],
      initialResourceVersions: Object.fromEntries(t.held),
    });
  }

  private onStreamEnd(call: grpc.ClientDuplexStream<DeltaRequest, DeltaResponse>, reason: string): void {
    if (this.state.t !== "streaming" || this.state.call !== call) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    log.warn("xds stream closed, reconnecting", { reason, retryInMs: delay });
    this.opts.onEvent?.({ t: "stream_closed", reason, retryInMs: delay });
    const timer = setTimeout(() => {
      if (this.state.t === "backoff") this.open();
    }, delay);
    timer.unref();
    this.state = { t: "backoff", timer };
  }

  private onResponse(call: grpc.ClientDuplexStream<DeltaRequest, DeltaResponse>, resp: DeltaResponse): void {
    if (this.state.t !== "streaming" || this.state.call !== call) return;
    this.backoffMs = this.initialBackoffMs;
    const t = this.types.get(resp.typeUrl);
    if (!t) {
      // Never subscribed: NACK so the server records it, without touching any state.
      this.nack(call, resp.typeUrl, resp.nonce, `${resp.typeUrl}: type not subscribed`);
      return;
    }
    t.lastNonce = resp.nonce;
    let rejections: readonly ResourceRejection[];
    try {
      rejections = t.handler.apply({
        typeUrl: resp.typeUrl,
        resources: resp.resources,
        removed: resp.removedResources,
      });
    } catch (e) {
      // A handler that throws applied nothing: reject the whole response.
      const reason = errorMessage(e);
      rejections = resp.resources.map((r) => ({ name: r.name, reason }));
      if (rejections.length === 0) rejections = [{ name: shortTypeUrl(resp.typeUrl), reason }];
      this.nack(call, resp.typeUrl, resp.nonce, joinRejections(rejections));
      t.lastNack = joinRejections(rejections);
      return;
    }
    const rejected = new Set(rejections.map((r) => r.name));
    for (const r of resp.resources) if (!rejected.has(r.name)) t.held.set(r.name, r.version);
    for (const name of resp.removedResources) t.held.delete(name);
    if (rejections.length > 0) {
      const message = joinRejections(rejections);
      t.lastNack = message;
      this.nack(call, resp.typeUrl, resp.nonce, message);
      return;
    }
    t.lastNack = undefined;
    const first = !t.acked;
    t.acked = true;
    call.write(
      create(pb.discovery.DeltaDiscoveryRequestSchema, { typeUrl: resp.typeUrl, responseNonce: resp.nonce }),
    );
    this.opts.onEvent?.({ t: "ack", typeUrl: resp.typeUrl, nonce: resp.nonce, first });
  }

  private nack(
    call: grpc.ClientDuplexStream<DeltaRequest, DeltaResponse>,
    typeUrl: string,
    nonce: string,
    message: string,
  ): void {
    log.warn("rejecting xds response", { type: shortTypeUrl(typeUrl), nonce, message });
    call.write(
      create(pb.discovery.DeltaDiscoveryRequestSchema, {
        typeUrl,
        responseNonce: nonce,
        errorDetail: { code: INVALID_ARGUMENT, message },
      }),
    );
    this.opts.onEvent?.({ t: "nack", typeUrl, nonce, message });
  }

  private send(req: DeltaRequest): void {
    if (this.state.t === "streaming") this.state.call.write(req);
  }
}

/** `"<name>: <reason>"` joined by `"; "` — the NACK message format istiod logs. */
export function joinRejections(rejections: readonly ResourceRejection[]): string {
  return rejections.map((r) => `${r.name}: ${r.reason}`).join("; ");
}
