/**
 * Minimal pcap reader for the encryption proof: TCP segments over IPv4 from a classic libpcap
 * file (Ethernet or Linux cooked captures), and a TLS ServerHello parser that tells whether the
 * server chose TLS 1.3 (supported_versions extension = 0x0304, RFC 8446 §4.2.1). No tshark needed.
 */

/** One captured TCP segment with its payload (may be empty). */
export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** TCP sequence number of the first payload byte (of the SYN itself for a SYN). */
  readonly seq: number;
  readonly syn: boolean;
  readonly payload: Buffer;
}

const LINK_ETHERNET = 1;
const LINK_LINUX_SLL = 113;
const LINK_LINUX_SLL2 = 276;

function ipv4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Offset of the IPv4 header in a frame, or -1 when the frame is not IPv4. */
function ipOffset(link: number, frame: Buffer): number {
  if (link === LINK_ETHERNET) {
    let off = 12;
    let type = frame.readUInt16BE(off);
    while (type === 0x8100 && frame.length >= off + 6) {
      off += 4;
      type = frame.readUInt16BE(off);
    }
    return type === 0x0800 ? off + 2 : -1;
  }
  if (link === LINK_LINUX_SLL) return frame.readUInt16BE(14) === 0x0800 ? 16 : -1;
  if (link === LINK_LINUX_SLL2) return frame.readUInt16BE(0) === 0x0800 ? 20 : -1;
  throw new Error(`pcap: unsupported link type ${link}`);
}

/** Every IPv4/TCP segment of a pcap file, in capture order. */
export function readTcpSegments(file: Buffer): TcpSegment[] {
  if (file.length < 24) throw new Error("pcap: file shorter than its header");
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && !be) throw new Error(`pcap: bad magic 0x${magic.toString(16)} (pcapng is not supported)`);
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const link = u32(20) & 0x0fffffff;
  const out: TcpSegment[] = [];
  for (let off = 24; off + 16 <= file.length; ) {
    const caplen = u32(off + 8);
    const frame = file.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    if (frame.length < caplen) break; // truncated last record (capture stopped mid-write)
    const ip = ipOffset(link, frame);
    if (ip < 0 || frame.length < ip + 20 || frame[ip + 9] !== 6) continue;
    const ihl = (frame[ip]! & 0x0f) * 4;
    const total = frame.readUInt16BE(ip + 2);
    const tcp = ip + ihl;
    if (frame.length < tcp + 20) continue;
    const dataOff = (frame[tcp + 12]! >> 4) * 4;
    const end = Math.min(frame.length, ip + total);
    out.push({
      src: ipv4(frame, ip + 12),
      dst: ipv4(frame, ip + 16),
      sport: frame.readUInt16BE(tcp),
      dport: frame.readUInt16BE(tcp + 2),
      seq: frame.readUInt32BE(tcp + 4),
      syn: (frame[tcp + 13]! & 0x02) !== 0,
      payload: frame.subarray(tcp + dataOff, end),
    });
  }
  return out;
}

/** What a ServerHello says about the negotiated version. */
export interface ServerHello {
  /** legacy_version field (0x0303 for TLS 1.2 and 1.3). */
  readonly legacyVersion: number;
  /** supported_versions extension value, when present (0x0304 = TLS 1.3). */
  readonly selectedVersion?: number;
  readonly cipherSuite: number;
}

/**
 * Parses a ServerHello at the start of a TCP payload (record type 22, handshake type 2); undefined
 * for anything else. The ServerHello is the first record of the server's first flight and fits in
 * the first segment, so no TCP reassembly is needed.
 */
export function parseServerHello(p: Buffer): ServerHello | undefined {
  if (p.length < 5 + 4 + 38 || p[0] !== 22 || p[1] !== 3) return undefined;
  if (p[5] !== 2) return undefined;
  let o = 9;
  const legacyVersion = p.readUInt16BE(o);
  o += 2 + 32; // version + random
  o += 1 + p[o]!; // session id
  if (p.length < o + 5) return undefined;
  const cipherSuite = p.readUInt16BE(o);
  o += 3; // cipher suite + compression method
  const extEnd = Math.min(p.length, o + 2 + p.readUInt16BE(o));
  o += 2;
  let selectedVersion: number | undefined;
  while (o + 4 <= extEnd) {
    const type = p.readUInt16BE(o);
    const len = p.readUInt16BE(o + 2);
    if (type === 0x002b && len === 2 && o + 6 <= extEnd) selectedVersion = p.readUInt16BE(o + 4);
    o += 4 + len;
  }
  return { legacyVersion, cipherSuite, ...(selectedVersion !== undefined ? { selectedVersion } : {}) };
}

/** How much of one direction of a TCP flow a capture holds. */
export interface StreamCoverage {
  /** The flow's SYN was captured, and the span starts right after it (the very first byte). */
  readonly fromSyn: boolean;
  /** Bytes from the first byte (after the SYN, else the first captured one) to the last one. */
  readonly span: number;
  /** Bytes inside that span that no captured segment holds (0 = every byte was seen). */
  readonly missing: number;
}

/**
 * Sequence-space coverage of the payload segments of one flow direction (retransmissions merge):
 * with `missing === 0` every byte that crossed the link in that span was inspected, whatever
 * other packets the capture dropped.
 */
export function streamCoverage(segs: readonly TcpSegment[]): StreamCoverage {
  const data = segs.filter((s) => s.payload.length > 0);
  const syn = segs.find((s) => s.syn);
  const base = syn !== undefined ? syn.seq + 1 : data[0]?.seq;
  if (base === undefined) return { fromSyn: false, span: 0, missing: 0 };
  const ranges = data
    .map((s) => {
      const start = (s.seq - base + 2 ** 32) % 2 ** 32; // relative, wrap-safe
      return [start, start + s.payload.length] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let end = 0;
  let missing = 0;
  for (const [a, b] of ranges) {
    if (a > end) missing += a - end;
    end = Math.max(end, b);
  }
  return { fromSyn: syn !== undefined, span: end, missing };
}
