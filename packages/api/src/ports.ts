/**
 * The one ports table of ambit. ARCHITECTURE.md mirrors it; every listener and
 * redirect rule takes its number from here, never from a literal.
 */
export const Ports = {
  /** Outbound capture inside each pod netns (REDIRECT target, original dst via SO_ORIGINAL_DST). */
  outbound: 15001,
  /** Inbound plaintext capture inside each pod netns (non-mesh clients). */
  inboundPlaintext: 15006,
  /** HBONE: HTTP/2 CONNECT over mTLS. Reached directly on the pod IP; never redirected. */
  hbone: 15008,
  /** DNS proxy on the pod's localhost (UDP and TCP). */
  dns: 15053,
  /** SOCKS5 outbound for explicit, non-root use. */
  socks5: 15080,
  /** ztunnel admin (config dump, logging), bound to localhost of the node netns only. */
  admin: 15000,
  /** Prometheus metrics; kept off the readiness port so scrapes never delay probes. */
  metrics: 15020,
  /** Readiness `/healthz/ready`. */
  readiness: 15021,
  /** Control plane: xDS (delta ADS) and the CA on one TLS listener. */
  controlPlane: 15012,
} as const;

export type PortName = keyof typeof Ports;

/**
 * Ports a captured connection may never be forwarded to: forwarding there would loop traffic
 * back into ztunnel itself (Istio's `illegal_ports`).
 */
export const ILLEGAL_TARGET_PORTS: ReadonlySet<number> = new Set([
  Ports.outbound,
  Ports.inboundPlaintext,
  Ports.hbone,
  Ports.socks5,
]);

/** Socket mark on every socket ztunnel owns inside a pod netns; the in-pod rules exempt it. */
export const ZTUNNEL_MARK = 0x539;
/** Mask applied with {@link ZTUNNEL_MARK} and {@link TPROXY_MARK}. */
export const MARK_MASK = 0xfff;
/** Connmark that routes replies of ztunnel's spoofed-source connections back to ztunnel. */
export const TPROXY_MARK = 0x111;
/** Policy-routing table used for the replies above. */
export const INPOD_ROUTE_TABLE = 100;
/** Source address the node SNATs health probes to, so pod rules can let them through unredirected. */
export const PROBE_SNAT_IPV4 = "169.254.7.127";
export const PROBE_SNAT_IPV6 = "fd16:9254:7127:1337:ffff:ffff:ffff:ffff";
