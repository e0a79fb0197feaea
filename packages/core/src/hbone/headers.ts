import { randomBytes } from "node:crypto";
import type { SocketAddress } from "@ambit/api";
import { formatSocketAddress } from "@ambit/api";

/**
 * HBONE CONNECT request headers (wire-spec §1.3). Pure builders and parsers so the exact byte
 * layout is table-tested, and the proxy just passes the result to the client.
 */

/** `for="ip:port"` plus `;host=<fqdn>` when the destination service is known. */
export function formatForwarded(client: SocketAddress, serviceHost?: string): string {
  const f = `for="${formatSocketAddress(client)}"`;
  return serviceHost ? `${f};host=${serviceHost}` : f;
}

/** The `host=` hint of a `forwarded` header (used by the inbound side for telemetry only). */
export function parseForwardedHost(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const el of value.split(";")) {
    const [k, v] = el.split("=", 2);
    if (k?.trim().toLowerCase() === "host" && v) return v.trim().replace(/^"|"$/g, "");
  }
  return undefined;
}

/** What the `baggage` header describes: the source workload (client) or destination (response). */
export interface BaggageFields {
  readonly clusterName?: string;
  readonly namespace?: string;
  /** `deployment`, `cronjob`, `pod`, `job`: becomes the key `k8s.<type>.name`. */
  readonly workloadType?: string;
  readonly workloadName?: string;
  readonly serviceName?: string;
  readonly serviceVersion?: string;
  readonly region?: string;
  readonly zone?: string;
}

/** Comma-joined `key=value`, keys in Istio's order, empty values omitted. */
export function formatBaggage(b: BaggageFields): string {
  const parts: string[] = [];
  const add = (k: string, v: string | undefined) => {
    if (v) parts.push(`${k}=${v}`);
  };
  add("k8s.cluster.name", b.clusterName);
  add("k8s.namespace.name", b.namespace);
  if (b.workloadType) add(`k8s.${b.workloadType}.name`, b.workloadName);
  add("service.name", b.serviceName);
  add("service.version", b.serviceVersion);
  add("cloud.region", b.region);
  add("cloud.availability_zone", b.zone);
  return parts.join(",");
}

/** Parse a `baggage` header into a key → value map (unknown keys kept). */
export function parseBaggage(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const item of value.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  return out;
}

/** Random bytes for ids, fetched 4 KiB at a time: one `randomBytes` call per 170 connections. */
const ID_POOL_SIZE = 4096;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/** A fresh W3C traceparent `00-<32 hex>-<16 hex>-00`; one per proxied connection, used as its log id. */
export function newTraceparent(): string {
  if (idPoolOffset + 24 > idPool.length) {
    idPool = randomBytes(ID_POOL_SIZE);
    idPoolOffset = 0;
  }
  const o = idPoolOffset;
  idPoolOffset += 24;
  return `00-${idPool.toString("hex", o, o + 16)}-${idPool.toString("hex", o + 16, o + 24)}-00`;
}

const TRACEPARENT_RE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traceparent if well formed, else undefined (never trust a peer's header blindly in logs). */
export function parseTraceparent(value: string | undefined): string | undefined {
  return value !== undefined && TRACEPARENT_RE.test(value) ? value : undefined;
}

/** Inputs of an HBONE CONNECT; see {@link connectHeaders}. */
export interface ConnectHeaderInput {
  /** `ip:port` / `[v6]:port` (or `host:port` for double HBONE). */
  readonly authority: string;
  readonly forwarded?: string;
  readonly baggage?: string;
  readonly traceparent?: string;
}

/** The HTTP/2 header block of an HBONE CONNECT (plain RFC 9113 CONNECT: no :scheme, no :path). */
export function connectHeaders(h: ConnectHeaderInput): Record<string, string> {
  const out: Record<string, string> = { ":method": "CONNECT", ":authority": h.authority };
  if (h.forwarded) out["forwarded"] = h.forwarded;
  if (h.baggage) out["baggage"] = h.baggage;
  if (h.traceparent) out["traceparent"] = h.traceparent;
  return out;
}
