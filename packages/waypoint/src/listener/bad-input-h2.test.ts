import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { assertNoLeakedFds, openFds } from "@ambit/testing";
import {
  type App,
  type Harness,
  httpServices,
  rawVia,
  startHarness,
  startHttp2App,
} from "../testdata/harness.js";

// Malformed HTTP/2 (prior knowledge) inside a tunnel, written as raw frames because Node's own
// client refuses to send most of these shapes. HPACK here: literal header fields without
// indexing, new names, no Huffman (RFC 7541 §6.2.2), which every decoder must accept.

function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function headerBlock(fields: readonly [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of fields) {
    const name = Buffer.from(n, "latin1");
    const value = Buffer.from(v, "latin1");
    parts.push(
      Buffer.from([0x00, ...hpackInt(name.length, 7, 0)]),
      name,
      Buffer.from(hpackInt(value.length, 7, 0)),
      value,
    );
  }
  return Buffer.concat(parts);
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** A client connection start: preface and empty SETTINGS, then one request's HEADERS (END_STREAM|END_HEADERS). */
const request = (fields: readonly [string, string][]) =>
  Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x5, 1, headerBlock(fields))]);

/** The frames the waypoint sent back, with the error code of RST_STREAM/GOAWAY. */
function frames(
  bytes: Buffer,
): { type: number; stream: number; code: number | undefined; payload: Buffer }[] {
  const out: { type: number; stream: number; code: number | undefined; payload: Buffer }[] = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const len = bytes.readUIntBE(at, 3);
    const type = bytes[at + 3] as number;
    const stream = bytes.readUInt32BE(at + 5) & 0x7fffffff;
    const p = bytes.subarray(at + 9, at + 9 + len);
    const code =
      type === 3 && p.length >= 4
        ? p.readUInt32BE(0)
        : type === 7 && p.length >= 8
          ? p.readUInt32BE(4)
          : undefined;
    out.push({ type, stream, code, payload: p });
    at += 9 + len;
  }
  return out;
}

const GOOD: [string, string][] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":authority", "reviews"],
  [":path", "/"],
];

describe("waypoint bad input over HTTP/2 prior knowledge", () => {
  let h: Harness;
  let app: App;
  let fds: Map<number, string>;
  before(async () => {
    fds = openFds();
    h = await startHarness({ maxHeaderSize: 8192 });
    app = await startHttp2App("h2");
    h.addEndpointApp("10.0.0.2", 9080, app.port);
    h.setConfig(httpServices([{ name: "reviews", vip: "10.96.0.20", endpoint: "10.0.0.2" }]));
  });
  after(async () => {
    await h.close();
    await new Promise((r) => app.server.close(r));
    assert.equal(h.waypoint.hbone.sessionCount, 0);
    assert.equal(h.waypoint.innerSessions, 0);
    await assertNoLeakedFds(fds, { timeoutMs: 3000 });
  });

  /** One raw request in a fresh tunnel; the frames the waypoint sent until it closed or 1.5 s passed. */
  const exchange = async (fields: readonly [string, string][]) =>
    frames(Buffer.from((await rawVia(h, "10.96.0.20:9080", request(fields), 1500)).text, "latin1"));

  const cases: [string, [string, string][]][] = [
    ["no :path", GOOD.filter(([n]) => n !== ":path")],
    ["an upper-case header name", [...GOOD, ["X-Bad", "1"]]],
    ["a connection-specific header", [...GOOD, ["connection", "keep-alive"]]],
    [
      "a pseudo-header after a regular one",
      [GOOD[0], GOOD[1], ["x-a", "1"], GOOD[2], GOOD[3]] as [string, string][],
    ],
    ["an unknown pseudo-header", [...GOOD, [":bogus", "1"]]],
    ["a header list over the limit", [...GOOD, ["x-big", "a".repeat(20_000)]]],
  ];
  for (const [name, fields] of cases) {
    it(`${name} → the stream is reset or the session ends; nothing reaches the app`, async () => {
      const before = app.hits;
      const got = await exchange(fields);
      const refused = got.some(
        (f) => (f.type === 3 && f.stream === 1) || f.type === 7 || (f.type === 1 && f.stream === 1),
      );
      assert.ok(refused, `no RST_STREAM/GOAWAY/answer for stream 1: ${JSON.stringify(got)}`);
      // If the waypoint answered with HEADERS it must not be a success from the app.
      assert.equal(app.hits, before, "the malformed request reached the app");
    });
  }

  // RFC 9113 §8.2.1 calls these messages malformed; nghttp2 (as Node 20 sets it up) drops the
  // offending field instead and passes the rest on. What matters for an intermediary holds either
  // way: the value is never forwarded, so it cannot become a header line after a translation to
  // HTTP/1.1 further on.
  const values: [string, string][] = [
    ["a CR LF inside a value", "b\r\nx-injected: 1"],
    ["a NUL inside a value", "a\u0000b"],
    ["a leading space", " lead"],
    ["a trailing tab", "trail\t"],
  ];
  for (const [name, value] of values) {
    it(`${name}: the field is never forwarded`, async () => {
      const got = await exchange([...GOOD, ["x-a", value]]);
      const body = got
        .filter((f) => f.type === 0 && f.stream === 1)
        .map((f) => f.payload.toString("latin1"))
        .join("");
      const refused = got.some((f) => (f.type === 3 && f.stream === 1) || f.type === 7);
      if (!refused) {
        const echoed = JSON.parse(body) as { name: string; headers: Record<string, string> };
        assert.equal(echoed.name, "h2", body);
        assert.equal(echoed.headers["x-a"], undefined, body);
        assert.equal(echoed.headers["x-injected"], undefined, body);
      }
    });
  }

  it("after all of that a well-formed HTTP/2 request still goes through", async () => {
    const t = await h.tunnel("10.96.0.20:9080");
    const s = http2.connect("http://reviews", { createConnection: () => t });
    try {
      const r = s.request({ ":path": "/ok" });
      const status = await new Promise<number>((res, rej) => {
        r.once("response", (hd) => res(Number(hd[":status"])));
        r.once("error", rej);
      });
      r.resume();
      assert.equal(status, 200);
    } finally {
      s.close();
    }
  });
});
