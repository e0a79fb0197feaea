import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeZdsRequest, encodeZdsAck, encodeZdsHello } from "@ambit/core";
import { closeFd, netnsInode, SeqpacketSocket } from "@ambit/sockets";
import { type ZdsOutcome, type ZdsPod, ZdsServer } from "./zds-server.js";
import { ZdsServerError } from "./zds-server-error.js";

const dir = mkdtempSync(join(tmpdir(), "ambit-zds-"));
const sockets: SeqpacketSocket[] = [];
const servers: ZdsServer[] = [];
after(async () => {
  for (const s of sockets) s.close();
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(path: string): Promise<SeqpacketSocket> {
  const s = await SeqpacketSocket.connect(path);
  sockets.push(s);
  return s;
}

const SELF_NS = "/proc/self/ns/net";
const pod = (uid: string, netnsPath = SELF_NS): ZdsPod => ({
  uid,
  netnsPath,
  info: { name: `n-${uid}`, namespace: "ns", serviceAccount: "sa" },
});

function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () =>
      cond() ? resolve() : Date.now() > end ? reject(new Error("condition not met")) : setTimeout(tick, 5);
    tick();
  });
}

/** Resolves when the agent hangs up (a pending recv is what makes the socket notice EOF). */
async function closed(s: SeqpacketSocket): Promise<void> {
  await s.recv().then(
    () => assert.fail("expected the agent to close the connection, got a message"),
    () => undefined,
  );
}

describe("ZdsServer over a real SEQPACKET socket", { timeout: 20_000 }, () => {
  let n = 0;
  const start = async (opts: { pods?: ZdsPod[]; ackTimeoutMs?: number } = {}) => {
    const acks: [string, ZdsOutcome][] = [];
    const server = new ZdsServer({
      socketPath: join(dir, `s${n++}.sock`),
      snapshot: () => opts.pods ?? [],
      onSnapshotAck: (uid, o) => acks.push([uid, o]),
      ackTimeoutMs: opts.ackTimeoutMs ?? 2000,
    });
    await server.start();
    servers.push(server);
    return { server, acks, path: join(dir, `s${n - 1}.sock`) };
  };

  it("sends the snapshot after hello: Add with one netns fd per pod, Keep when the netns is gone, then SnapshotSent", async () => {
    const { server, acks, path } = await start({ pods: [pod("a"), pod("b", "/nonexistent/netns")] });
    const zt = await connect(path);
    await zt.send(encodeZdsHello());
    const m1 = await zt.recv();
    const r1 = decodeZdsRequest({ data: m1.data, fds: m1.fds, truncated: false });
    assert.deepEqual(r1, {
      t: "add",
      uid: "a",
      info: { name: "n-a", namespace: "ns", serviceAccount: "sa" },
    });
    assert.equal(m1.fds.length, 1);
    assert.equal(netnsInode(m1.fds[0] as number), netnsInode(SELF_NS), "the fd is the pod's netns");
    closeFd(m1.fds[0] as number);
    await zt.send(encodeZdsAck());
    const m2 = await zt.recv();
    assert.deepEqual(decodeZdsRequest({ data: m2.data, fds: m2.fds, truncated: false }), {
      t: "keep",
      uid: "b",
    });
    await zt.send(encodeZdsAck("cannot keep"));
    const m3 = await zt.recv();
    assert.deepEqual(decodeZdsRequest({ data: m3.data, fds: m3.fds, truncated: false }), {
      t: "snapshot_sent",
    });
    await zt.send(encodeZdsAck());
    await until(() => acks.length === 2);
    assert.deepEqual(acks, [
      ["a", { t: "ack" }],
      ["b", { t: "nack", error: "cannot keep" }],
    ]);
    // After the snapshot: Add/Del on demand, strictly one at a time.
    const adding = server.add(pod("c"));
    const m4 = await zt.recv();
    assert.equal(decodeZdsRequest({ data: m4.data, fds: m4.fds, truncated: false }).t, "add");
    for (const fd of m4.fds) closeFd(fd);
    await zt.send(encodeZdsAck("proxy failed"));
    assert.deepEqual(await adding, { t: "nack", error: "proxy failed" });
    const deleting = server.del("c");
    const m5 = await zt.recv();
    assert.deepEqual(decodeZdsRequest({ data: m5.data, fds: m5.fds, truncated: false }), {
      t: "del",
      uid: "c",
    });
    await zt.send(encodeZdsAck());
    assert.deepEqual(await deleting, { t: "ack" });
    zt.close();
    await server.stop();
  });

  it("refuses requests without a ztunnel, and a bad hello", async () => {
    const { server, path } = await start();
    await assert.rejects(server.add(pod("x")), (e) => e instanceof ZdsServerError && e.code === "no_ztunnel");
    const zt = await connect(path);
    // version = 5 (field 1, varint): not V1.
    await zt.send(new Uint8Array([0x08, 0x05]));
    await closed(zt);
    assert.equal(server.connected, false);
    await server.stop();
  });

  it("drops a ztunnel that does not ack within the deadline", async () => {
    const { server, path } = await start({ ackTimeoutMs: 150 });
    const zt = await connect(path);
    await zt.send(encodeZdsHello());
    const snap = await zt.recv(); // SnapshotSent of the empty snapshot: never acked
    assert.equal(decodeZdsRequest({ data: snap.data, fds: snap.fds, truncated: false }).t, "snapshot_sent");
    await closed(zt);
    await until(() => !server.connected);
    await server.stop();
  });

  it("sends updates to the newest ztunnel only", async () => {
    const { server, path } = await start();
    const hello = async () => {
      const s = await connect(path);
      await s.send(encodeZdsHello());
      await s.recv();
      await s.send(encodeZdsAck());
      return s;
    };
    const old = await hello();
    const fresh = await hello();
    const p = server.del("u");
    const m = await fresh.recv();
    assert.deepEqual(decodeZdsRequest({ data: m.data, fds: m.fds, truncated: false }), {
      t: "del",
      uid: "u",
    });
    await fresh.send(encodeZdsAck());
    assert.deepEqual(await p, { t: "ack" });
    assert.equal(old.closed, false, "the old connection is left to its owner");
    old.close();
    fresh.close();
    await server.stop();
  });
});
