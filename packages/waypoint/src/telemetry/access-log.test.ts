import assert from "node:assert/strict";
import { it } from "node:test";
import {
  ACCESS_LOG_FLUSH_MS,
  type AccessLogRecord,
  flushAccessLog,
  formatAccessLogLine,
  isoTime,
  stdoutAccessLog,
} from "./access-log.js";

const full = (over: Partial<AccessLogRecord> = {}): AccessLogRecord => ({
  start_time: "2026-11-26T15:00:00.123Z",
  duration_ms: 1.234,
  protocol: "HTTP/1.1",
  method: "GET",
  path: "/productpage?u=1",
  authority: "productpage.bookinfo.svc.cluster.local:9080",
  response_code: 200,
  response_flags: "-",
  route: "bookinfo/reviews/0",
  upstream: "10.20.1.5:9080",
  upstream_service: "reviews.bookinfo.svc.cluster.local",
  reason: "-",
  attempts: 1,
  bytes_received: 0,
  bytes_sent: 1024,
  source_principal: "spiffe://cluster.local/ns/bookinfo/sa/productpage",
  destination_service: "reviews.bookinfo.svc.cluster.local",
  ...over,
});

/** Captures our access-log writes; the test runner's own output goes through. */
async function captureWrites(body: (writes: readonly string[]) => Promise<void> | void): Promise<string[]> {
  const writes: string[] = [];
  const orig = process.stdout.write;
  process.stdout.write = ((chunk: string, ...rest: unknown[]) => {
    if (typeof chunk === "string" && chunk.startsWith('{"start_time"')) {
      writes.push(chunk);
      return true;
    }
    return (orig as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    await body(writes);
  } finally {
    process.stdout.write = orig;
  }
  return writes;
}

it("access log line: byte-equal to JSON.stringify, including values that need escaping", () => {
  const cases: AccessLogRecord[] = [
    full(),
    full({ path: '/a"b\\c', authority: "h\u0000\u001f\u007f", reason: "tab\there\nnewline" }),
    full({ path: "/caf\u00e9/\u{1f600}", method: "PURGE", reason: "lone \ud800 surrogate" }),
    full({ duration_ms: Number.NaN, bytes_sent: Number.POSITIVE_INFINITY, attempts: 0 }),
    full({ response_flags: "UF,URX", upstream: "[fd00::5]:9080", route: "-" }),
  ];
  for (const r of cases) {
    const line = formatAccessLogLine(r);
    assert.equal(line, `${JSON.stringify(r)}\n`);
    assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(r)));
  }
});

it("stdout access log: lines are batched into one write, flushed by the timer", async () => {
  const writes = await captureWrites(async (writes) => {
    stdoutAccessLog(full({ path: "/a" }));
    stdoutAccessLog(full({ path: "/b" }));
    assert.equal(writes.length, 0, "nothing written synchronously");
    await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 0, "not per event-loop turn either");
    await new Promise((r) => setTimeout(r, ACCESS_LOG_FLUSH_MS + 100));
  });
  assert.equal(writes.length, 1, "one write for both lines");
  const lines = (writes[0] ?? "").trimEnd().split("\n");
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).path),
    ["/a", "/b"],
  );
});

it("stdout access log: an explicit flush (shutdown) writes what is pending at once; 32 KiB flushes early", async () => {
  const writes = await captureWrites((writes) => {
    stdoutAccessLog(full({ path: "/c" }));
    flushAccessLog();
    assert.equal(writes.length, 1);
    flushAccessLog();
    assert.equal(writes.length, 1, "nothing pending, nothing written");
    const big = "/x".repeat(1000);
    for (let i = 0; i < 20; i++) stdoutAccessLog(full({ path: big }));
    assert.equal(writes.length, 2, "the size limit flushed without waiting for the timer");
    flushAccessLog();
  });
  const lines = writes.join("").trimEnd().split("\n");
  assert.equal(lines.length, 21);
  for (const l of lines) assert.ok(JSON.parse(l).path);
});

it("isoTime equals Date#toISOString, across second, minute, day and year boundaries", () => {
  const base = Date.UTC(2026, 11, 31, 23, 59, 58);
  const cases = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1999, 2000, 2001, 86_400_000 + 5];
  for (const ms of [...cases.map((d) => base + d), 0, 1, 999, 1_700_000_000_123, 1_700_000_000_123.9]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  }
  // Out of order (a request that started earlier finishing later) still formats correctly.
  assert.equal(isoTime(base + 5), new Date(base + 5).toISOString());
  assert.equal(isoTime(base - 1500), new Date(base - 1500).toISOString());
});
