import {
  adsServiceDefinition,
  createLogger,
  createNonceSource,
  type DeltaRequest,
  type DeltaResponseFrame,
  errorMessage,
  type NonceSource,
} from "@ambit/core";
import * as grpc from "@grpc/grpc-js";
import { PushThrottle } from "./push-throttle.js";
import { installSharedFrames } from "./shared-frames.js";
import { SnapshotStore, type XdsSnapshotResources } from "./snapshot-store.js";
import type { XdsServerStatus } from "./xds-status.js";
import { XdsStream } from "./xds-stream.js";

const log = createLogger("xds.server");

/**
 * Who may open a stream. Structurally the CA's `NodeAuthenticator`: returns the caller's node,
 * throws (or rejects) when the caller is not authenticated.
 */
export interface XdsAuthenticator {
  authenticate(metadata: grpc.Metadata): { readonly node: string } | Promise<{ readonly node: string }>;
}

/** Anything services can be registered on (the {@link ControlPlaneServer}, or a bare grpc.Server). */
export interface ServiceRegistry {
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
}

export interface XdsServerOptions {
  readonly authenticator: XdsAuthenticator;
  /**
   * Max bytes of per-client responses being written at once over all streams (default 32 MiB).
   * Shared full-snapshot responses do not count (see {@link PushThrottle}).
   */
  readonly maxBytesInFlight?: number;
  /** A write's budget is given back after this long even if the client is not reading (default 10 s). */
  readonly stuckWriteMs?: number;
  readonly now?: () => number;
}

/**
 * The delta ADS server: serves whatever snapshot was last passed to {@link update} (per type URL,
 * resources by name — the generators' output) to every stream, pushing each stream only what
 * changed for it. Knows nothing about translation; it only diffs versions.
 */
export class XdsServer {
  private readonly store = new SnapshotStore();
  private readonly throttle: PushThrottle;
  private readonly nonces: NonceSource = createNonceSource();
  private readonly streams = new Map<string, XdsStream>();
  private readonly now: () => number;
  private nextStreamId = 0;

  constructor(private readonly opts: XdsServerOptions) {
    this.throttle = new PushThrottle(opts.maxBytesInFlight ?? 32 * 2 ** 20, opts.stuckWriteMs ?? 10_000);
    this.now = opts.now ?? Date.now;
    installSharedFrames();
  }

  /** Register the ADS service on a server (before it starts). */
  register(server: ServiceRegistry): void {
    server.addService(adsServiceDefinition, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaRequest, DeltaResponseFrame>) => {
        void this.accept(call);
      },
    });
  }

  /**
   * Publish a new snapshot. Streams in sync get only the names that changed; nothing is sent
   * when no version changed. Returns the new snapshot version.
   */
  update(resources: XdsSnapshotResources): number {
    const changedTypes = this.store.publish(resources);
    if (changedTypes.size > 0) {
      for (const s of this.streams.values()) s.pump();
    }
    return this.store.snapshot.version;
  }

  /** Sync status of every connected stream. */
  status(): XdsServerStatus {
    return {
      snapshotVersion: this.store.snapshot.version,
      streams: [...this.streams.values()].map((s) => s.status()),
      pushesActive: this.throttle.active,
      pushBytesActive: this.throttle.activeBytes,
      pushesQueued: this.throttle.queued,
    };
  }

  /** Close every stream with UNAVAILABLE (clients reconnect and resync with their versions). */
  disconnectAll(details = "server closing stream"): void {
    for (const s of [...this.streams.values()]) s.disconnect(grpc.status.UNAVAILABLE, details);
  }

  private async accept(call: grpc.ServerDuplexStream<DeltaRequest, DeltaResponseFrame>): Promise<void> {
    let node: string;
    try {
      node = (await this.opts.authenticator.authenticate(call.metadata)).node;
    } catch (e) {
      log.warn("xds caller rejected", { peer: call.getPeer(), reason: errorMessage(e) });
      call.emit("error", {
        code: grpc.status.UNAUTHENTICATED,
        details: `unauthenticated: ${errorMessage(e)}`,
      });
      return;
    }
    if (call.cancelled) return;
    this.nextStreamId += 1;
    const id = `ads-${this.nextStreamId}`;
    const stream = new XdsStream(
      id,
      call,
      { store: this.store, throttle: this.throttle, nonces: this.nonces, now: this.now },
      node,
    );
    this.streams.set(id, stream);
    log.info("xds stream open", { stream: id, node, peer: call.getPeer() });
    const done = (why: string): void => {
      if (!this.streams.delete(id)) return;
      stream.close();
      log.info("xds stream closed", { stream: id, node, why });
    };
    call.on("data", (req: DeltaRequest) => {
      const err = stream.onRequest(req);
      if (err !== undefined) {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: err });
        done(err);
      }
    });
    call.on("end", () => {
      done("client half-closed");
      call.end();
    });
    call.on("cancelled", () => done("cancelled"));
    call.on("error", (e: unknown) => done(errorMessage(e)));
    call.on("close", () => done("closed"));
  }
}
