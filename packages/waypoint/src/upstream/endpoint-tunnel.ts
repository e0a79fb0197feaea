import type http2 from "node:http2";
import type tls from "node:tls";
import type { ClientAddr, Identity } from "@ambit/api";
import { formatSocketAddress, parseIdentity, socketAddress } from "@ambit/api";
import { connectHeaders, formatForwarded, type HbonePool } from "@ambit/core";

/** Where one upstream tunnel goes: the endpoint and what to present/expect. */
export interface TunnelTarget {
  /** Endpoint IP (v4 or v6). */
  readonly address: string;
  readonly targetPort: number;
  /** SPIFFE URI the endpoint must present. */
  readonly identity: string;
  /** HBONE port of the endpoint's node (15008). */
  readonly hbonePort: number;
  /** Service the request was for (Forwarded `host=`). */
  readonly service: string;
  /** Downstream peer (Forwarded `for=`). */
  readonly peer: ClientAddr;
}

/** What the waypoint dials upstream with: its HBONE pool and its own identity and certificate. */
export interface EndpointDialer {
  readonly pool: HbonePool;
  readonly identity: Identity;
  secureContext(): tls.SecureContext;
}

/** `:authority` of the upstream CONNECT: `endpointIP:targetPort` (`[v6]:port`). */
export function endpointAuthority(t: Pick<TunnelTarget, "address" | "targetPort">): string {
  return formatSocketAddress(socketAddress(t.address, t.targetPort));
}

/**
 * `CONNECT endpointIP:targetPort` to the endpoint's node as the waypoint, expecting the endpoint's
 * identity — the one place that builds the upstream CONNECT, shared by the HTTP/2 forwarder, the
 * HTTP/1.1 keep-alive agent and the opaque L4 proxy so they cannot drift apart. Async so a bad
 * address rejects like a failed connect instead of throwing at the caller.
 */
export async function connectEndpoint(d: EndpointDialer, t: TunnelTarget): Promise<http2.ClientHttp2Stream> {
  return d.pool.connect({
    sourceIdentity: d.identity,
    destinationIdentities: [parseIdentity(t.identity)],
    nextHop: socketAddress(t.address, t.hbonePort),
    sourceIp: undefined,
    secureContext: d.secureContext(),
    headers: connectHeaders({
      authority: endpointAuthority(t),
      forwarded: formatForwarded(t.peer, t.service),
    }),
  });
}
