import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { unixGet, unixGetJson } from "./unix-http.js";

describe("unix-http", () => {
  const dir = mkdtempSync(join(tmpdir(), "ambit-unix-http-"));
  const sock = join(dir, "status.sock");
  const server = createServer((req, res) => {
    if (req.url === "/ok") res.end(JSON.stringify({ version: 7 }));
    else if (req.url === "/bad-json") res.end("{not json");
    else res.writeHead(404).end("no such endpoint");
  });
  before(() => new Promise<void>((r) => server.listen(sock, r)));
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("unixGetJson: parsed body on 200, undefined on 404, bad JSON or nobody listening", async () => {
    assert.deepEqual(await unixGetJson(sock, "/ok"), { version: 7 });
    assert.equal(await unixGetJson(sock, "/missing"), undefined);
    assert.equal(await unixGetJson(sock, "/bad-json"), undefined);
    assert.equal(await unixGetJson(join(dir, "absent.sock"), "/ok"), undefined);
  });

  it("unixGet keeps the status so callers can tell 404 from nobody listening", async () => {
    assert.deepEqual(await unixGet(sock, "/missing"), { status: 404, body: "no such endpoint" });
    assert.deepEqual(await unixGet(join(dir, "absent.sock"), "/ok"), { error: "ENOENT" });
  });
});
