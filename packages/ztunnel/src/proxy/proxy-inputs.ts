import type net from "node:net";
import type { ClientAddr, Identity, SocketAddress, Workload } from "@ambit/api";
import type { ConnectionTelemetry } from "../telemetry/index.js";
import type { ConnectionManager } from "./connection-manager.js";
import type { InboundAuthzInput } from "./inbound-request.js";
import type { CertProvider, ProxyLookup } from "./lookup.js";
import type { PodNetwork } from "./pod-network.js";
import type { ProxyError } from "./proxy-error.js";

/** Node-wide dependencies every pod's proxy set shares (one instance per ztunnel). */
export interface ProxyInputs {
  readonly state: ProxyLookup;
  readonly certs: CertProvider;
  readonly telemetry: ConnectionTelemetry;
  readonly connections: ConnectionManager;
  /** Inbound sides of this node's pods, for the same-node shortcut; omit to always use the network. */
  readonly local?: LocalInboundRegistry;
  /** This ztunnel's network (for source workload lookups); default "". */
  readonly network?: string;
  /** Upstream connect deadline (default 10 s, ztunnel's CONNECTION_TIMEOUT). */
  readonly connectTimeoutMs?: number;
}

/** One pod's view: who it is (re-read per connection: the state may change) and its sockets. */
export interface PodContext {
  readonly name: string;
  pod(): Workload | undefined;
  readonly network: PodNetwork;
}

/** An inbound request that did not come over HBONE (same-node shortcut) but gets the same checks. */
export interface LocalInboundRequest {
  readonly authority: string;
  readonly identity: Identity;
  readonly peer: ClientAddr;
  /** The outbound side's log id, so both access records of one connection share it (as over HBONE). */
  readonly id?: string;
}

/** Result of running the inbound checks and connecting upstream. */
export type InboundResult =
  | { readonly ok: true; readonly upstream: net.Socket; readonly authz: InboundAuthzInput }
  | { readonly ok: false; readonly error: ProxyError };

/** The inbound side of a local pod, reachable without the network. */
export interface LocalInbound {
  serveLocal(req: LocalInboundRequest): Promise<InboundResult>;
  /** Where the pod's HBONE listener is (its IP : 15008). */
  readonly addresses: readonly string[];
}

/** Registry of the inbound sides of pods on this node, by pod IP. */
export class LocalInboundRegistry {
  private readonly byIp = new Map<string, LocalInbound>();

  add(ips: readonly string[], inbound: LocalInbound): () => void {
    for (const ip of ips) this.byIp.set(ip, inbound);
    return () => {
      for (const ip of ips) if (this.byIp.get(ip) === inbound) this.byIp.delete(ip);
    };
  }

  find(addr: SocketAddress): LocalInbound | undefined {
    return this.byIp.get(addr.ip);
  }
}
