/**
 * The waypoint's xDS client: one delta ADS stream (core `DeltaAdsClient`) subscribed by name to
 * its own `WaypointConfig` (`<ns>/<gateway>`), authenticated like ztunnel with the node's
 * bootstrap token. Reconnects by itself; while the control plane is away the configuration in
 * force keeps serving, and on reconnect the held version is announced so nothing is resent.
 */
import { NODE_NAME_HEADER } from "@ambit/api";
import {
  controlPlaneConnection,
  DeltaAdsClient,
  type DeltaClientEvent,
  type DeltaTypeStatus,
} from "@ambit/core";
import type * as grpc from "@grpc/grpc-js";
import type { WaypointConfigUpdater } from "./waypoint-config-updater.js";
import { buildWaypointNode, WAYPOINT_TYPE_URL, type WaypointNodeInfo } from "./waypoint-node.js";

export interface WaypointXdsClientOptions {
  /** Control plane `host:port`. */
  readonly address: string;
  /** Roots of the control plane's serving certificate (server-authenticated TLS). */
  readonly rootCertPem: string;
  /** TLS name to verify instead of the address host. */
  readonly serverName?: string;
  /** Current node token, read on every (re)connect so rotation is picked up. */
  readonly token: () => string | undefined;
  readonly node: WaypointNodeInfo;
  /** Resource to subscribe to: `<ns>/<gateway>`. */
  readonly resourceName: string;
  readonly updater: WaypointConfigUpdater;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly channelOptions?: grpc.ChannelOptions;
  readonly onEvent?: (e: DeltaClientEvent) => void;
}

export class WaypointXdsClient {
  private readonly engine: DeltaAdsClient;
  private connected = false;

  constructor(opts: WaypointXdsClientOptions) {
    this.engine = new DeltaAdsClient({
      address: opts.address,
      ...controlPlaneConnection({
        rootCertPem: opts.rootCertPem,
        ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
        ...(opts.channelOptions !== undefined ? { channelOptions: opts.channelOptions } : {}),
        token: opts.token,
        clusterId: opts.node.clusterId,
        headers: { [NODE_NAME_HEADER]: opts.node.nodeName },
      }),
      node: buildWaypointNode(opts.node),
      subscriptions: [{ handler: opts.updater.handler, names: [opts.resourceName] }],
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onEvent: (e) => {
        if (e.t === "ack" || e.t === "nack") this.connected = true;
        if (e.t === "stream_closed") this.connected = false;
        opts.onEvent?.(e);
      },
    });
  }

  start(): void {
    this.engine.start();
  }

  close(): void {
    this.engine.close();
  }

  /** Config-dump view: stream state and the subscription's ACK/NACK status. */
  status(): { readonly connected: boolean; readonly state: string; readonly types: DeltaTypeStatus[] } {
    return { connected: this.connected, state: this.engine.stateTag(), types: this.engine.status() };
  }

  /** True once a response of the waypoint type was ACKed (it may have carried no resource). */
  isAcked(): boolean {
    return this.engine.isAcked(WAYPOINT_TYPE_URL);
  }
}
