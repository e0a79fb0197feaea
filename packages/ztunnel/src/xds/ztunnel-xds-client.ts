import {
  buildZtunnelNode,
  controlPlaneConnection,
  DeltaAdsClient,
  type DeltaClientEvent,
  type DeltaTypeStatus,
  TypeUrl,
  type ZtunnelNodeInfo,
} from "@ambit/core";
import type * as grpc from "@grpc/grpc-js";
import type { ProxyState } from "../state/proxy-state.js";
import { StateUpdater } from "./state-updater.js";

export interface ZtunnelXdsClientOptions {
  /** Control plane `host:port` (default port `Ports.controlPlane`, chosen by the caller). */
  readonly address: string;
  /** Roots that sign the control plane's serving certificate (PEM). Server-auth TLS only. */
  readonly rootCertPem: string;
  /** TLS name to verify instead of the address host (ztunnel's `ALT_XDS_HOSTNAME`). */
  readonly serverName?: string;
  /** Bearer token for `authorization`, read on every (re)connect so rotation is picked up. */
  readonly token?: () => string | undefined;
  /** Sent as the `clusterid` header and node metadata `CLUSTER_ID`. */
  readonly clusterId?: string;
  /** Extra call headers (ztunnel's `XDS_HEADER_<K>`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly node: ZtunnelNodeInfo;
  /** The state this client is the only writer of. */
  readonly state: ProxyState;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly channelOptions?: grpc.ChannelOptions;
  readonly onEvent?: (e: DeltaClientEvent) => void;
}

/**
 * ztunnel's xDS client: subscribes wildcard to Address, then Authorization, applies every push
 * to the proxy state through {@link StateUpdater}, and becomes ready after the first ACK of each
 * type (a NACKed first push keeps it unready until a good push arrives).
 */
export class ZtunnelXdsClient {
  /** Resolves once both types have been ACKed once; never rejects. */
  readonly ready: Promise<void>;
  private readonly engine: DeltaAdsClient;
  private markReady: () => void = () => {};
  private isReadyFlag = false;

  constructor(opts: ZtunnelXdsClientOptions) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    const updater = new StateUpdater(opts.state);
    const clusterId = opts.clusterId ?? opts.node.clusterId ?? "Kubernetes";
    this.engine = new DeltaAdsClient({
      address: opts.address,
      ...controlPlaneConnection({
        rootCertPem: opts.rootCertPem,
        ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
        ...(opts.channelOptions !== undefined ? { channelOptions: opts.channelOptions } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
        clusterId,
        ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
      }),
      node: buildZtunnelNode({ ...opts.node, clusterId }),
      subscriptions: [{ handler: updater.address }, { handler: updater.authorization }],
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      onEvent: (e) => {
        if (e.t === "ack" && e.first) this.checkReady();
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

  /** True after the first ACK of both Address and Authorization. */
  isReady(): boolean {
    return this.isReadyFlag;
  }

  status(): DeltaTypeStatus[] {
    return this.engine.status();
  }

  private checkReady(): void {
    if (this.isReadyFlag) return;
    if (this.engine.isAcked(TypeUrl.address) && this.engine.isAcked(TypeUrl.authorization)) {
      this.isReadyFlag = true;
      this.markReady();
    }
  }
}
