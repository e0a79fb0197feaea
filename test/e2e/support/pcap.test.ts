/** Table tests of the encryption proof's pcap reader on hand-built captures (no tcpdump needed). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServerHello, readTcpSegments, streamCoverage, type TcpSegment } from "./pcap.js";

function ipBytes(ip: string): number[] {
  return ip.split(".").map(Number);
}

/** One Ethernet/IPv4/TCP frame. */
function frame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  seq: number,
  payload: Buffer,
  syn = false,
) {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = syn ? 0x02 : 0x18;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip[9] = 6;
  Buffer.from(ipBytes(src)).copy(ip, 12);
  Buffer.from(ipBytes(dst)).copy(ip, 16);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, tcp, payload]);
}

function pcap(frames: readonly Buffer[], magic = 0xa1b2c3d4): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(magic, 0);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20); // Ethernet
  const recs = frames.map((f) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([head, ...recs]);
}

/** A ServerHello record; `version` goes into supported_versions when given. */
function serverHello(version?: number): Buffer {
  const ext =
    version === undefined
      ? Buffer.alloc(0)
      : Buffer.from([0x00, 0x2b, 0x00, 0x02, version >> 8, version & 0xff]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7),
    Buffer.from([0]), // empty session id
    Buffer.from([0x13, 0x02, 0x00]), // TLS_AES_256_GCM_SHA384, no compression
    Buffer.from([ext.length >> 8, ext.length & 0xff]),
    ext,
  ]);
  const hs = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 3, 3, hs.length >> 8, hs.length & 0xff]), hs]);
}

const seg = (seq: number, len: number, syn = false): TcpSegment => ({
  src: "10.0.0.1",
  dst: "10.0.0.2",
  sport: 1,
  dport: 2,
  seq,
  syn,
  payload: Buffer.alloc(len),
});

describe("pcap reader for the encryption proof", () => {
  it("reads IPv4/TCP segments with addresses, ports, sequence and payload", () => {
    const file = pcap([
      frame("10.244.2.2", "10.244.1.2", 15008, 40000, 100, serverHello(0x0304)),
      frame("10.244.1.2", "10.244.2.2", 40000, 15008, 7, Buffer.alloc(0), true),
    ]);
    const s = readTcpSegments(file);
    assert.equal(s.length, 2);
    assert.deepEqual(
      [s[0]?.src, s[0]?.sport, s[0]?.dst, s[0]?.dport, s[0]?.seq],
      ["10.244.2.2", 15008, "10.244.1.2", 40000, 100],
    );
    assert.equal(s[1]?.syn, true);
    assert.equal(s[1]?.payload.length, 0);
  });

  it("rejects a file that is not a classic pcap", () => {
    assert.throws(() => readTcpSegments(Buffer.alloc(10)), /shorter/);
    assert.throws(() => readTcpSegments(Buffer.alloc(24, 1)), /bad magic/);
  });

  it("tells TLS 1.3 from a ServerHello without supported_versions (TLS 1.2)", () => {
    assert.equal(parseServerHello(serverHello(0x0304))?.selectedVersion, 0x0304);
    const v12 = parseServerHello(serverHello());
    assert.equal(v12?.legacyVersion, 0x0303);
    assert.equal(v12?.selectedVersion, undefined);
    assert.equal(parseServerHello(Buffer.from("GET / HTTP/1.1\r\n\r\n".repeat(4))), undefined);
    const clientHello = serverHello(0x0304);
    clientHello[5] = 1;
    assert.equal(parseServerHello(clientHello), undefined);
  });

  it("stream coverage: anchored at the SYN, holes counted, retransmissions merged", () => {
    assert.deepEqual(streamCoverage([seg(99, 0, true), seg(100, 10), seg(110, 10), seg(110, 10)]), {
      fromSyn: true,
      span: 20,
      missing: 0,
    });
    assert.deepEqual(streamCoverage([seg(99, 0, true), seg(105, 10)]), {
      fromSyn: true,
      span: 15,
      missing: 5,
    });
    assert.deepEqual(streamCoverage([seg(100, 10), seg(130, 10)]), { fromSyn: false, span: 40, missing: 20 });
    // Sequence numbers wrap at 2^32.
    assert.deepEqual(streamCoverage([seg(2 ** 32 - 1, 0, true), seg(0, 8)]), {
      fromSyn: true,
      span: 8,
      missing: 0,
    });
  });
});
