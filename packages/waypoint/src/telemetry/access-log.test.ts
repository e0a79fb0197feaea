import assert from "node:assert/strict";
import { it } from "node:test";
import { type AccessLogRecord, stdoutAccessLog } from "./access-log.js";

const rec = (path: string) => ({ path, response_code: 200 }) as unknown as AccessLogRecord;

it("stdout access log: one JSON line per request, one write per event-loop turn", async () => {
  const writes: string[] = [];
  const orig = process.stdout.write;
  // Only our lines are captured; the test runner's own output goes through.
  process.stdout.write = ((chunk: string, ...rest: unknown[]) => {
    if (typeof chunk === "string" && chunk.startsWith('{"path"')) {
      writes.push(chunk);
      return true;
    }
    return (orig as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    stdoutAccessLog(rec("/a"));
    stdoutAccessLog(rec("/b"));
    assert.equal(writes.length, 0, "nothing written synchronously");
    await new Promise((r) => setImmediate(r));
  } finally {
    process.stdout.write = orig;
  }
  assert.equal(writes.length, 1);
  const lines = (writes[0] ?? "").trimEnd().split("\n");
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).path),
    ["/a", "/b"],
  );
});
