import { isIP } from "node:net";

/**
 * IP text ⇄ bytes, for the xDS boundary (addresses arrive as 4 or 16 raw bytes) and for CIDR
 * matching in authorization. Text output is canonical as Node prints peer addresses: IPv4 dotted,
 * IPv6 lowercase with the longest zero run compressed, IPv4-mapped IPv6 unwrapped to IPv4.
 */

/** Canonical text of a 4- or 16-byte address; undefined for any other length. */
export function ipFromBytes(b: Uint8Array): string | undefined {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Bytes of an IP literal (4 for IPv4, 16 for IPv6); undefined for anything else. */
export function ipToBytes(ip: string): Uint8Array | undefined {
  const fam = isIP(ip);
  if (fam === 4) return Uint8Array.from(ip.split(".").map(Number));
  if (fam !== 6) return undefined;
  let text = ip.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    // Embedded IPv4 (`::ffff:1.2.3.4`): rewrite as two hex groups, then parse uniformly.
    const v4 = last.split(".").map(Number) as [number, number, number, number];
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = "", rest] = text.split("::") as [string, string | undefined];
  const parse = (s: string): number[] => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(Math.max(fill, 0)).fill(0), ...right];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Is `ip` inside `cidr`? Families must match (after IPv4-mapped unwrapping by the caller). */
export function cidrContains(cidr: { readonly ip: string; readonly length: number }, ip: string): boolean {
  const net = ipToBytes(cidr.ip);
  const addr = ipToBytes(ip);
  if (!net || !addr || net.length !== addr.length) return false;
  let bits = Math.min(cidr.length, net.length * 8);
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((net[i] as number) & mask) !== ((addr[i] as number) & mask)) return false;
  }
  return true;
}
