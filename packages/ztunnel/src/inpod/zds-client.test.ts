import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeZdsAck, decodeZdsHello, encodeZdsRequest } from "@ambit/core";
import { closeFd, netnsInode, openNetnsFd, SeqpacketServer, type SeqpacketSocket } from "@ambit/sockets";
import type { InpodPod, PodProxyFactory } from "./pod-proxy-factory.js";
import { ZdsClient } from "./zds-client.js";

const dir = mkdtempSync(join(tmpdir(), "ambit-zdsc-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const info = { name: "p", namespace: "ns", serviceAccount: "sa" };
const dg = (m: { data: Uint8Array; fds: number[] }) => ({ data: m.data, fds: m.fds, truncated: false });

describe("ZdsClient against a scripted agent", { timeout: 20_000 }, () => {
  it("says hello first, acks adds, NACKs factory failures, drops a violating agent and reconnects", async () => {
    const path = join(dir, "agent.sock");
    const server = await SeqpacketServer.listen(path);
    const conns: SeqpacketSocket[] = [];
    const waiting: ((s: SeqpacketSocket) => void)[] = [];
    server.on("connection", (s: SeqpacketSocket) => {
      conns.push(s);
      waiting.shift()?.(s);
    });
    const nextConn = () =>
      new Promise<SeqpacketSocket>((r) => {
        const c = conns.shift();
        if (c) r(c);
        else waiting.push(r);
      });
    const started: InpodPod[] = [];
    const factory: PodProxyFactory = {
      async start(pod) {
        if (pod.uid === "bad") throw new Error("listener failed");
        started.push(pod);
        return { stop: async () => undefined };
      },
    };
    const client = new ZdsClient({ socketPath: path, factory });
    client.start();
    try {
      const c1 = await nextConn();
      conns.length = 0;
      decodeZdsHello(dg(await c1.recv()));
      const fd = openNetnsFd("/proc/self/ns/net");
      await c1.send(encodeZdsRequest({ t: "add", uid: "u1", info }), fd);
      closeFd(fd);
      assert.equal(decodeZdsAck(dg(await c1.recv())), "");
      assert.equal(started.length, 1);
      assert.deepEqual({ ...started[0], netnsFd: 0 }, { uid: "u1", ...info, netnsFd: 0 });
      assert.equal(
        netnsInode(started[0]?.netnsFd ?? -1),
        netnsInode("/proc/self/ns/net"),
        "client holds the passed fd",
      );
      const fd2 = openNetnsFd("/proc/self/ns/net");
      await c1.send(encodeZdsRequest({ t: "add", uid: "bad", info }), fd2);
      closeFd(fd2);
      assert.match(decodeZdsAck(dg(await c1.recv())), /listener failed/);
      await c1.send(encodeZdsRequest({ t: "snapshot_sent" }));
      assert.equal(decodeZdsAck(dg(await c1.recv())), "");
      assert.equal(client.ready, false, "a failed proxy in the snapshot keeps ztunnel unready");
      // Protocol violation: Add without its fd → the client hangs up and reconnects.
      await c1.send(encodeZdsRequest({ t: "add", uid: "u2", info }));
      await assert.rejects(c1.recv());
      const c2 = await nextConn();
      decodeZdsHello(dg(await c2.recv()));
      assert.equal(client.connectionCount, 2);
      await c2.send(encodeZdsRequest({ t: "keep", uid: "u1" }));
      assert.equal(decodeZdsAck(dg(await c2.recv())), "");
      await c2.send(encodeZdsRequest({ t: "snapshot_sent" }));
      assert.equal(decodeZdsAck(dg(await c2.recv())), "");
      assert.equal(client.ready, true);
      assert.deepEqual(
        client.status().map((s) => s.uid),
        ["u1"],
      );
      c2.close();
    } finally {
      await client.stop();
      server.close();
    }
  });
});
