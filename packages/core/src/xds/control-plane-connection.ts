/**
 * How a proxy (ztunnel, waypoint) reaches the control plane's xDS listener: server-authenticated
 * TLS against the control plane's roots, an optional TLS name override, and per-(re)connect call
 * headers carrying the node's bootstrap token, so a rotated token is used on the next connect.
 */
import { NODE_AUTHORIZATION_HEADER } from "@ambit/api";
import * as grpc from "@grpc/grpc-js";
import type { DeltaAdsClientOptions } from "./delta-ads-client.js";

export interface ControlPlaneConnectionOptions {
  /** Roots of the control plane's serving certificate (PEM). */
  readonly rootCertPem: string;
  /** TLS name to verify instead of the address host. */
  readonly serverName?: string;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Current bearer token, read on every (re)connect; nothing sent while undefined or empty. */
  readonly token?: () => string | undefined;
  /** Sent as the `clusterid` header. */
  readonly clusterId: string;
  /** Extra call headers (names lower-cased), e.g. the node name. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The transport part of {@link DeltaAdsClientOptions} for a proxy's control-plane stream. */
export function controlPlaneConnection(
  opts: ControlPlaneConnectionOptions,
): Pick<DeltaAdsClientOptions, "credentials" | "channelOptions" | "metadata"> {
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(opts.rootCertPem)),
    channelOptions: {
      ...(opts.serverName ? { "grpc.ssl_target_name_override": opts.serverName } : {}),
      ...opts.channelOptions,
    },
    metadata: () => {
      const md = new grpc.Metadata();
      const token = opts.token?.();
      if (token) md.set(NODE_AUTHORIZATION_HEADER, `Bearer ${token}`);
      md.set("clusterid", opts.clusterId);
      for (const [k, v] of Object.entries(opts.headers ?? {})) md.set(k.toLowerCase(), v);
      return md;
    },
  };
}
