import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import net from "node:net";
import { describe, it } from "node:test";
import { FORWARD_HIGH_WATER, forward } from "./pipe.js";

/** A connected loopback socket pair: [client side, accepted side]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const c = net.connect({
    host: "127.0.0.1",
    port: (server.address() as net.AddressInfo).port,
    allowHalfOpen: true,
  });
  const a = await accepted;
  server.close();
  return [c, a];
}

describe("forward", () => {
  it("copies every byte in order under backpressure, pauses the source, ends the destination", async () => {
    const [inC, inA] = await pair();
    const [outC, outA] = await pair();
    forward(inA, outC);
    const data = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    inC.end(data);
    // The far end reads nothing for a while: the destination fills up and the source must pause.
    outA.pause();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(inA.isPaused(), true, "source paused while the destination is stuck");
    assert.ok(outC.writableLength <= FORWARD_HIGH_WATER + 64 * 1024, `buffered ${outC.writableLength}`);
    const hash = createHash("sha256");
    let n = 0;
    outA.on("data", (d: Buffer) => {
      hash.update(d);
      n += d.length;
    });
    outA.resume();
    await new Promise((r) => outA.once("end", r));
    assert.equal(n, data.length);
    assert.equal(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
    for (const s of [inC, inA, outC, outA]) s.destroy();
  });

  it("small writes go through at once; stop() ends the copy without ending the destination", async () => {
    const [inC, inA] = await pair();
    const [outC, outA] = await pair();
    const stop = forward(inA, outC);
    inC.write("ping");
    const got = await new Promise<string>((r) => outA.once("data", (d: Buffer) => r(d.toString())));
    assert.equal(got, "ping");
    stop();
    let late = "";
    outA.on("data", (d: Buffer) => {
      late += d.toString();
    });
    inA.resume();
    inC.end("after-stop");
    await new Promise((r) => inA.once("end", r));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(late, "");
    assert.equal(outC.writableEnded, false, "destination not ended after stop()");
    for (const s of [inC, inA, outC, outA]) s.destroy();
  });
});
