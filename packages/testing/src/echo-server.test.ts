import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { test } from "node:test";
import { readWhoAmI, startEchoServer } from "./echo-server.js";
import { waitForNoConnections } from "./leak-check.js";

test("echo server echoes bytes back", async () => {
  const echo = await startEchoServer();
  const c = net.connect(echo.port, echo.host);
  c.end("ping");
  const chunks: Buffer[] = [];
  c.on("data", (d: Buffer) => chunks.push(d));
  await once(c, "close");
  assert.equal(Buffer.concat(chunks).toString(), "ping");
  await waitForNoConnections(echo.server);
  await echo.close();
});

test("who-am-I echo server reports the address it saw, then echoes", async () => {
  const echo = await startEchoServer({ whoAmI: true });
  const c = net.connect(echo.port, echo.host);
  await once(c, "connect");
  const who = await readWhoAmI(c);
  assert.deepEqual(who.remote, { ip: "127.0.0.1", port: c.localPort });
  assert.deepEqual(who.local, { ip: "127.0.0.1", port: echo.port });
  c.write("x");
  const [d] = (await once(c, "data")) as [Buffer];
  assert.equal(d.toString(), "x");
  await echo.close(); // also ends the open client connection
  await once(c, "close");
});
