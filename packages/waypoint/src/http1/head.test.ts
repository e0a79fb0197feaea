import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestHeaderBlock, responseHeaderRecord } from "./head.js";

describe("requestHeaderBlock", () => {
  const cases: {
    name: string;
    raw: string[];
    headers: Record<string, string | string[]>;
    facts?: Partial<{
      hosts: number;
      host: string;
      transferEncoding: boolean;
      contentLength: string;
      expect: string;
    }>;
  }[] = [
    {
      name: "plain GET: Host taken out, names lower-cased, order kept",
      raw: ["Host", "web:80", "User-Agent", "x", "Accept", "*/*"],
      headers: { "user-agent": "x", accept: "*/*" },
      facts: { hosts: 1, host: "web:80", transferEncoding: false },
    },
    {
      name: "hop-by-hop headers are dropped",
      raw: ["Host", "h", "Connection", "keep-alive", "Keep-Alive", "5", "Upgrade", "h2c", "X-A", "1"],
      headers: { "x-a": "1" },
    },
    {
      name: "Transfer-Encoding is a fact, never forwarded",
      raw: ["host", "h", "transfer-encoding", "chunked"],
      headers: {},
      facts: { transferEncoding: true },
    },
    {
      name: "Content-Length is forwarded and every line joined for the framing check",
      raw: ["host", "h", "content-length", "5", "content-length", "5"],
      headers: { "content-length": ["5", "5"] },
      facts: { contentLength: "5,5" },
    },
    {
      name: "Expect is a fact, never forwarded",
      raw: ["host", "h", "Expect", "100-continue", "x-b", "2"],
      headers: { "x-b": "2" },
      facts: { expect: "100-continue" },
    },
    {
      name: "TE: trailers is kept in place (gRPC)",
      raw: ["host", "h", "x-a", "1", "TE", "Trailers", "x-b", "2"],
      headers: { "x-a": "1", te: "trailers", "x-b": "2" },
    },
    {
      name: "TE other than trailers is dropped",
      raw: ["host", "h", "te", "gzip", "x-a", "1"],
      headers: { "x-a": "1" },
    },
    {
      name: "repeated TE lines are not exactly trailers: dropped",
      raw: ["host", "h", "te", "trailers", "te", "trailers"],
      headers: {},
    },
    {
      name: "repeated names keep every value in order",
      raw: ["host", "h", "Cookie", "a=1", "x", "y", "cookie", "b=2"],
      headers: { cookie: ["a=1", "b=2"], x: "y" },
    },
    {
      name: "Host lines are counted (a repeat is the session's 400)",
      raw: ["Host", "a", "host", "b"],
      headers: {},
      facts: { hosts: 2, host: "a" },
    },
    { name: "no Host", raw: ["x", "1"], headers: { x: "1" }, facts: { hosts: 0 } },
  ];
  for (const c of cases)
    it(c.name, () => {
      const b = requestHeaderBlock(c.raw);
      assert.deepEqual({ ...b.headers }, c.headers);
      assert.deepEqual(Object.keys(b.headers), Object.keys(c.headers), "order");
      for (const [k, v] of Object.entries(c.facts ?? {})) assert.equal(b[k as keyof typeof b], v, k);
    });
});

describe("responseHeaderRecord", () => {
  it("drops hop-by-hop headers, keeps the rest (repeats as arrays)", () => {
    const h = responseHeaderRecord([
      "Content-Type",
      "text/plain",
      "Connection",
      "keep-alive",
      "Transfer-Encoding",
      "chunked",
      "Set-Cookie",
      "a=1",
      "Keep-Alive",
      "timeout=5",
      "set-cookie",
      "b=2",
      "Content-Length",
      "3",
    ]);
    assert.deepEqual(
      { ...h },
      { "content-type": "text/plain", "set-cookie": ["a=1", "b=2"], "content-length": "3" },
    );
  });
});
