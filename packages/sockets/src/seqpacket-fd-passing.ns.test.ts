import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { withNetns } from "@ambit/testing";
import { closeFd, openNetnsFd } from "./netns-fd.js";
import { connectInNetns } from "./netns-sockets.js";
import type { SeqpacketSocket } from "./seqpacket.js";
import { SeqpacketServer } from "./seqpacket-server.js";

test("a netns fd sent over SEQPACKET lets another process open a listener in that namespace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "amb-zds-"));
  try {
    await withNetns(async (h) => {
      const ns = await h.addNamespace("pod");
      // An address that exists only inside the pod: the child can bind it only from within.
      await h.ip(ns, ["addr", "add", "10.77.0.1/32", "dev", "lo"]);
      const server = await SeqpacketServer.listen(join(dir, "zds.sock"));
      const connected = once(server, "connection");
      const child = spawn(
        process.execPath,
        [
          "--conditions=source",
          "--import",
          "tsx",
          fileURLToPath(new URL("testdata/fd-receiver-child.ts", import.meta.url)),
          server.path,
        ],
        { stdio: ["ignore", "inherit", "inherit"] },
      );
      const exited = once(child, "exit");
      try {
        const [peer] = (await connected) as [SeqpacketSocket];
        const fd = openNetnsFd(h.path(ns));
        await peer.send(Buffer.from(JSON.stringify({ host: "10.77.0.1" })), fd);
        closeFd(fd);
        const reply = JSON.parse((await peer.recv()).data.toString()) as { port: number; pid: number };
        assert.equal(reply.pid, child.pid);

        const c = await connectInNetns({ netns: h.path(ns), host: "10.77.0.1", port: reply.port });
        const chunks: Buffer[] = [];
        c.on("data", (d: Buffer) => chunks.push(d));
        await once(c, "end");
        assert.equal(Buffer.concat(chunks).toString(), `served by ${child.pid}`);
        c.destroy();
        peer.close(); // the child sees the hang-up, closes its listener and exits on its own
        const [code] = (await exited) as [number | null];
        assert.equal(code, 0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        server.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
