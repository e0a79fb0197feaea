import { isIP } from "node:net";

/**
 * IP literal → network-order bytes (4 or 16), as `Workload.addresses`, `NetworkAddress.address`
 * and `security.Address.address` carry them. Returns undefined for anything that is not an IP.
 */
export function ipBytes(ip: string): Uint8Array | undefined {
  const fam = isIP(ip);
  if (fam === 4) return Uint8Array.from(ip.split(".").map(Number));
  if (fam !== 6) return undefined;
  let text = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    // Embedded IPv4 tail (`::ffff:1.2.3.4`): rewrite as two hex groups.
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const hex = (s: string) => (s === "" ? [] : s.split(":").map((h) => parseInt(h, 16)));
  const dbl = text.indexOf("::");
  let groups: number[];
  if (dbl < 0) {
    groups = hex(text);
  } else {
    const left = hex(text.slice(0, dbl));
    const right = hex(text.slice(dbl + 2));
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}
