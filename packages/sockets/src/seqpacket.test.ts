import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { useLeakCheck } from "@ambit/testing";
import { SEQPACKET_MAX_MESSAGE, type SeqpacketMessage, SeqpacketSocket } from "./seqpacket.js";
import { SeqpacketServer } from "./seqpacket-server.js";
import { SocketsError } from "./sockets-error.js";

const dir = mkdtempSync(join(tmpdir(), "amb-seq-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const sockPath = (): string => join(dir, `s${n++}.sock`);

const isCode = (code: string) => (e: unknown) => e instanceof SocketsError && e.code === code;

/** A connected pair: [client, server side]. */
async function pair(): Promise<{ server: SeqpacketServer; a: SeqpacketSocket; b: SeqpacketSocket }> {
  const server = await SeqpacketServer.listen(sockPath());
  const accepted = once(server, "connection");
  const a = await SeqpacketSocket.connect(server.path);
  const [b] = (await accepted) as [SeqpacketSocket];
  return { server, a, b };
}

function closeAll(...xs: { close(): void }[]): void {
  for (const x of xs) x.close();
}

test("a message with an fd arrives intact and the fd refers to the same open file", async (t) => {
  await pair().then((p) => closeAll(p.a, p.b, p.server)); // warm-up: addon load, first poll handles
  useLeakCheck(t);
  const { server, a, b } = await pair();
  const file = join(dir, "payload.txt");
  writeFileSync(file, "via SCM_RIGHTS");
  const fd = openSync(file, "r");
  await a.send(Buffer.from("here is a file"), fd);
  closeSync(fd);
  const msg = await b.recv();
  assert.equal(msg.data.toString(), "here is a file");
  assert.equal(msg.fds.length, 1);
  assert.equal(readFileSync(msg.fds[0]!, "utf8"), "via SCM_RIGHTS");
  closeSync(msg.fds[0]!);
  closeAll(a, b, server);
});

test("backpressure: sends wait for the reader and every message arrives once, in order", async () => {
  const { server, a, b } = await pair();
  const total = 2000;
  let resolved = 0;
  const payload = (i: number): Buffer => Buffer.alloc(4096, i % 251).fill(String(i), 0);
  const sends = Array.from({ length: total }, (_, i) => a.send(payload(i)).then(() => resolved++));
  await tick();
  assert.ok(
    resolved < total,
    `the kernel buffer filled up (resolved ${resolved} of ${total} before reading)`,
  );
  const got: SeqpacketMessage[] = [];
  b.on("message", (m: SeqpacketMessage) => got.push(m));
  await Promise.all(sends);
  while (got.length < total) await tick();
  for (const [i, m] of got.entries()) assert.ok(m.data.equals(payload(i)), `message ${i} in order`);
  closeAll(a, b, server);
});

test("size limits: 64 KiB passes, more or empty or too many fds is refused before sending", async () => {
  const { server, a, b } = await pair();
  await a.send(Buffer.alloc(SEQPACKET_MAX_MESSAGE, 7));
  assert.equal((await b.recv()).data.length, SEQPACKET_MAX_MESSAGE);
  await assert.rejects(a.send(Buffer.alloc(SEQPACKET_MAX_MESSAGE + 1)), isCode("message_too_large"));
  await assert.rejects(a.send(new Uint8Array(0)), isCode("invalid_argument"));
  await assert.rejects(a.send(Buffer.from("x"), Array(17).fill(0)), isCode("message_too_large"));
  await assert.rejects(a.send(Buffer.from("x"), -1), isCode("invalid_argument"));
  closeAll(a, b, server);
});

test("a truncated datagram from a foreign sender is an error, not silent data loss", async () => {
  const server = await SeqpacketServer.listen(sockPath());
  const accepted = once(server, "connection");
  const py = `import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.send(b"x"*70000); s.recv(1)`;
  const child = execFile("python3", ["-c", py, server.path]);
  const [b] = (await accepted) as [SeqpacketSocket];
  await assert.rejects(
    b.recv(),
    (e: unknown) => isCode("message_too_large")(e) && /truncated/.test(String(e)),
  );
  assert.equal(b.closed, true);
  await once(child, "exit");
  server.close();
});

test("peer hang-up: pending recv rejects with closed, 'close' fires, later sends reject", async () => {
  const { server, a, b } = await pair();
  const pending = b.recv();
  const closed = once(b, "close");
  a.close();
  await assert.rejects(pending, isCode("closed"));
  await closed;
  await assert.rejects(b.send(Buffer.from("late")), isCode("closed"));
  await assert.rejects(a.recv(), isCode("closed"));
  server.close();
});

test("fds of messages nobody read do not leak when the socket closes", async (t) => {
  useLeakCheck(t);
  const { server, a, b } = await pair();
  const fd = openSync("/dev/null", "r");
  await a.send(Buffer.from("first"), fd);
  await a.send(Buffer.from("never read"), fd);
  closeSync(fd);
  const first = await b.recv();
  assert.equal(first.data.toString(), "first");
  for (const f of first.fds) closeSync(f);
  closeAll(a, b, server);
});

test("connect and listen errors are typed and readable", async () => {
  const missing = join(dir, "missing.sock");
  await assert.rejects(SeqpacketSocket.connect(missing), (e: unknown) => {
    return isCode("connection_refused")(e) && (e as Error).message.includes(`no socket at ${missing}`);
  });
  const server = await SeqpacketServer.listen(sockPath());
  await assert.rejects(SeqpacketServer.listen(server.path), isCode("address_in_use"));
  server.close();
  const stale = sockPath();
  writeFileSync(stale, "");
  await assert.rejects(SeqpacketServer.listen(stale), isCode("address_in_use"));
  (await SeqpacketServer.listen(stale, { removeExisting: true })).close();
  await assert.rejects(SeqpacketServer.listen("x".repeat(200)), isCode("invalid_argument"));
});
