import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import { test } from "node:test";
import { assertNoLeakedFds, openFds, useServer, waitForNoConnections } from "./leak-check.js";

test("assertNoLeakedFds passes when everything opened was closed", async () => {
  const baseline = openFds();
  const fd = openSync("/dev/null", "r");
  closeSync(fd);
  await assertNoLeakedFds(baseline, { timeoutMs: 100 });
});

test("assertNoLeakedFds fails and names the leaked fd", async () => {
  const baseline = openFds();
  const fd = openSync("/dev/null", "r");
  try {
    await assert.rejects(
      assertNoLeakedFds(baseline, { timeoutMs: 50 }),
      new RegExp(`leaked 1 fd\\(s\\): ${fd} -> /dev/null`),
    );
    await assertNoLeakedFds(baseline, { timeoutMs: 50, ignore: /^\/dev\/null$/ });
  } finally {
    closeSync(fd);
  }
});

test("waitForNoConnections fails while a client stays connected and passes after it closes", async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await new Promise((r) => server.once("connection", r));
  await assert.rejects(waitForNoConnections(server, 60), /still has 1 open connection/);
  client.destroy();
  await waitForNoConnections(server, 2000);
  await new Promise((r) => server.close(r));
});

test("useServer closes the server after checking its connections", async () => {
  const hooks: (() => unknown)[] = [];
  const server = useServer({ after: (fn) => hooks.push(fn) }, net.createServer());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  assert.equal(hooks.length, 1);
  await hooks[0]!();
  assert.equal(server.listening, false);
});
