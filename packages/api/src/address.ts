import { isIP } from "node:net";

/**
 * Address value types. Kept as plain, frozen records with one validating constructor each so that
 * a client address is never passed where an original destination is expected by accident:
 * the branded aliases below make that a type error.
 */

/** An IP and a port. `ip` is always in canonical form (IPv6 lowercase, compressed by Node). */
export interface SocketAddress {
  readonly ip: string;
  readonly port: number;
}

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** The peer of an accepted connection (the client). */
export type ClientAddr = Brand<SocketAddress, "ClientAddr">;
/** The destination the client originally dialled, recovered with SO_ORIGINAL_DST. */
export type OrigDstAddr = Brand<SocketAddress, "OrigDstAddr">;
/** Where a proxy actually connects to (next hop). */
export type ServerAddr = Brand<SocketAddress, "ServerAddr">;

/** 4 or 6, or 0 when the string is not an IP literal (Node's `net.isIP`). */
export function ipFamily(ip: string): 0 | 4 | 6 {
  return isIP(ip) as 0 | 4 | 6;
}

/** Canonical text form of an IP literal, or undefined. IPv4-mapped IPv6 is unwrapped to IPv4. */
export function canonicalIp(ip: string): string | undefined {
  const fam = isIP(ip);
  if (fam === 4) return ip;
  if (fam !== 6) return undefined;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped && isIP(mapped[1] as string) === 4) return mapped[1];
  return lower;
}

export function socketAddress(ip: string, port: number): SocketAddress {
  const c = canonicalIp(ip);
  if (c === undefined) throw new RangeError(`not an IP address: ${JSON.stringify(ip)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port: ${port}`);
  return Object.freeze({ ip: c, port });
}

export const clientAddr = (ip: string, port: number): ClientAddr => socketAddress(ip, port) as ClientAddr;
export const origDstAddr = (ip: string, port: number): OrigDstAddr => socketAddress(ip, port) as OrigDstAddr;
export const serverAddr = (ip: string, port: number): ServerAddr => socketAddress(ip, port) as ServerAddr;

/** `ip:port`, or `[ip]:port` for IPv6, as used in HBONE `:authority`. */
export function formatSocketAddress(a: SocketAddress): string {
  return ipFamily(a.ip) === 6 ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/**
 * Strictly parse `ip:port` / `[v6]:port` (port 1–65535). Returns undefined for hostnames,
 * missing ports or junk, so callers can answer "400 malformed" without try/catch.
 */
export function parseSocketAddress(s: string): SocketAddress | undefined {
  let host: string;
  let portText: string;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0 || s[end + 1] !== ":") return undefined;
    host = s.slice(1, end);
    portText = s.slice(end + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const idx = s.lastIndexOf(":");
    if (idx <= 0 || s.indexOf(":") !== idx) return undefined;
    host = s.slice(0, idx);
    portText = s.slice(idx + 1);
    if (isIP(host) !== 4) return undefined;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return socketAddress(host, port);
}

/** Key of an address within a network: `network/ip` (Istio's alias form; network may be empty). */
export function networkAddressKey(network: string, ip: string): string {
  return `${network}/${canonicalIp(ip) ?? ip}`;
}
