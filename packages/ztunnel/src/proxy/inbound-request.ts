import type { Identity, ServerAddr, SocketAddress, Workload } from "@ambit/api";
import { ILLEGAL_TARGET_PORTS, parseSocketAddress, serverAddr } from "@ambit/api";
import { type AuthorizationDecision, evaluateAuthorization } from "../rbac/index.js";
import type { ProxyLookup } from "./lookup.js";
import type { ProxyErrorCode } from "./proxy-error.js";

/** What the inbound side knows about one HBONE CONNECT before deciding anything. */
export interface InboundInput {
  readonly method: string;
  readonly authority: string | undefined;
  /** Address the HBONE connection arrived on (this pod's IP : 15008). */
  readonly local: SocketAddress;
  /** The pod this proxy set serves; undefined while its workload is unknown to the state. */
  readonly pod: Workload | undefined;
}

/**
 * The inbound plan (wire-spec §1.4, §2.2): connect to `upstream` (this pod's IP : target port), or
 * answer with the status of `code`. The destination is always the pod this proxy set serves.
 */
export type InboundRequest =
  | { readonly ok: true; readonly upstream: ServerAddr; readonly pod: Workload }
  | { readonly ok: false; readonly code: ProxyErrorCode; readonly reason: string };

const fail = (code: ProxyErrorCode, reason: string): InboundRequest => ({ ok: false, code, reason });

/**
 * Validate a CONNECT in ztunnel's order: method (400) → `:authority` as ip:port (400; a hostname
 * authority is not supported here: 503) → pod known (503) → authority IP is the IP the connection
 * arrived on and belongs to this pod (400) → port not a ztunnel port (503). Pure.
 */
export function buildInboundRequest(input: InboundInput): InboundRequest {
  if (input.method !== "CONNECT") return fail("method_not_connect", `method ${JSON.stringify(input.method)}`);
  if (input.authority === undefined) return fail("bad_authority", "missing :authority");
  const target = parseSocketAddress(input.authority);
  if (!target) {
    // host:port with a DNS name is the double-HBONE form; we do not resolve hostnames inbound.
    return /^[a-z0-9.-]+:\d{1,5}$/i.test(input.authority) && /[a-z]/i.test(input.authority)
      ? fail("unknown_destination", `hostname authority ${JSON.stringify(input.authority)} not supported`)
      : fail("bad_authority", `unparsable :authority ${JSON.stringify(input.authority)}`);
  }
  const pod = input.pod;
  if (!pod) return fail("unknown_destination", `no workload for ${input.local.ip}`);
  if (target.ip !== input.local.ip || !pod.addresses.includes(target.ip)) {
    return fail("ip_mismatch", `target ${target.ip} is not this pod's IP ${input.local.ip}`);
  }
  if (ILLEGAL_TARGET_PORTS.has(target.port)) return fail("illegal_port", `target port ${target.port}`);
  return { ok: true, upstream: serverAddr(target.ip, target.port), pod };
}

/** The inputs L4 authorization sees; kept on each open connection to re-check on policy change. */
export interface InboundAuthzInput {
  readonly pod: Workload;
  /** Peer identity from mTLS; undefined for plaintext (15006). */
  readonly identity: Identity | undefined;
  /** TCP peer IP (a waypoint's IP if one was traversed). */
  readonly sourceIp: string;
  readonly upstream: SocketAddress;
}

/** Evaluate the pod's policy set (DENY, then ALLOW) for one connection. Pure. */
export function authorizeInbound(
  lookup: Pick<ProxyLookup, "findPoliciesForWorkload">,
  a: InboundAuthzInput,
): AuthorizationDecision {
  const { policies } = lookup.findPoliciesForWorkload(a.pod);
  return evaluateAuthorization(policies, {
    identity: a.identity,
    sourceIp: a.sourceIp,
    destinationIp: a.upstream.ip,
    destinationPort: a.upstream.port,
  });
}
