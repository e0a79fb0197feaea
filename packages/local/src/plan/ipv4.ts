import { LocalError } from "../local-error.js";

/** Dotted IPv4 → 32-bit unsigned integer; throws `invalid_argument` on anything else. */
export function ipToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new LocalError("invalid_argument", `not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255)
      throw new LocalError("invalid_argument", `not an IPv4 address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** A parsed IPv4 CIDR: first address (network) and size. */
export interface Cidr4 {
  readonly text: string;
  readonly base: number;
  readonly bits: number;
  readonly size: number;
}

export function parseCidr(text: string): Cidr4 {
  const [ip, bitsText] = text.split("/");
  const bits = Number(bitsText);
  if (ip === undefined || !Number.isInteger(bits) || bits < 8 || bits > 32) {
    throw new LocalError("invalid_argument", `not an IPv4 CIDR: ${text}`);
  }
  const size = 2 ** (32 - bits);
  const base = ipToInt(ip) - (ipToInt(ip) % size);
  return { text, base, bits, size };
}

export function cidrContains(c: Cidr4, ip: string): boolean {
  let n: number;
  try {
    n = ipToInt(ip);
  } catch {
    return false;
  }
  return n >= c.base && n < c.base + c.size;
}

/**
 * Lowest free address of `cidr` from offset `firstOffset` on, skipping `used` and the broadcast
 * address. Lowest-first keeps allocations predictable in tests and docs.
 */
export function allocateIp(cidr: Cidr4, used: ReadonlySet<string>, firstOffset: number): string {
  for (let off = firstOffset; off < cidr.size - 1; off++) {
    const ip = intToIp(cidr.base + off);
    if (!used.has(ip)) return ip;
  }
  throw new LocalError("pool_exhausted", `no free address left in ${cidr.text}`);
}
