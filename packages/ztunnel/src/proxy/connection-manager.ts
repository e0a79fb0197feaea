import type { Workload } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { createLogger } from "@ambit/core";
import type { StateChange } from "../state/index.js";
import { authorizeInbound, type InboundAuthzInput } from "./inbound-request.js";
import type { ProxyLookup } from "./lookup.js";
import { ProxyError } from "./proxy-error.js";

const log = createLogger("proxy.connections");

/** An open inbound connection as the manager sees it. */
export interface TrackedConnection {
  readonly id: string;
  readonly authz: InboundAuthzInput;
  /** Close both sides now, recording `error` as the reason. */
  close(error: ProxyError): void;
}

/** A row of the live-connections dump (`ambit` "who is connected and why"). */
export interface ConnectionInfo {
  readonly id: string;
  readonly pod: string;
  readonly sourceIp: string;
  readonly identity: string | undefined;
  readonly upstream: string;
}

/**
 * Tracks open inbound connections with the inputs they were authorized on, and re-checks them when
 * policy (or the workload's policy list) changes: connections a new policy denies are closed with
 * `policy_changed_denied` (ztunnel's PolicyWatcher).
 */
export class ConnectionManager {
  private readonly open = new Set<TrackedConnection>();

  constructor(
    private readonly lookup: ProxyLookup & { findWorkloadByUid?(uid: string): Workload | undefined },
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Register; the returned function unregisters (call it when the connection ends). */
  track(c: TrackedConnection): () => void {
    this.open.add(c);
    return () => this.open.delete(c);
  }

  /** Re-evaluate every open connection; returns how many were closed. */
  recheck(): number {
    let closed = 0;
    for (const c of [...this.open]) {
      const pod = this.lookup.findWorkloadByUid?.(c.authz.pod.uid) ?? c.authz.pod;
      const d = authorizeInbound(this.lookup, { ...c.authz, pod });
      if (d.allowed) continue;
      this.open.delete(c);
      closed++;
      log.info("closing connection denied by updated policy", { id: c.id, reason: d.reason });
      c.close(new ProxyError("policy_changed_denied", `connection re-check: ${d.reason}`));
    }
    return closed;
  }

  /** Subscribe to state changes; returns the unsubscribe function. */
  watch(source: { onChange(l: (c: StateChange) => void): () => void }): () => void {
    return source.onChange(() => this.recheck());
  }

  list(): ConnectionInfo[] {
    return [...this.open].map((c) => ({
      id: c.id,
      pod: `${c.authz.pod.namespace}/${c.authz.pod.name}`,
      sourceIp: c.authz.sourceIp,
      identity: c.authz.identity ? formatIdentity(c.authz.identity) : undefined,
      upstream: `${c.authz.upstream.ip}:${c.authz.upstream.port}`,
    }));
  }
}
