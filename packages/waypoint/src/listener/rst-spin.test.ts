import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { socketAddress } from "@ambit/api";
import { connectHeaders, createHboneSecureContext, HbonePool } from "@ambit/core";
import type { ClientPems } from "../testdata/harness.js";
import { SLEEP_ID, WAYPOINT_ID } from "../testdata/harness.js";
import { jsDuplex } from "./no-writev.js";

// Regression test for the "100% CPU after client RST_STREAM" report (docs/architecture/waypoint.md).
// The waypoint runs in a child process so its CPU is measured on its own: clients reset their
// CONNECT tunnels at every point of an exchange, under concurrency, then the waypoint must go idle.

const CHILD = new URL("../testdata/waypoint-child.ts", import.meta.url).pathname;
const RESET_CLIENT = new URL("../testdata/reset-client-child.ts", import.meta.url).pathname;
const AUTHORITY = "10.96.0.20:9080";
const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

type When = "after-response" | "after-headers" | "mid-body" | "before-response";

/**
 * One request in a fresh tunnel, then RST_STREAM(code) at `when`. The reset is issued from
 * setImmediate: resetting a stream synchronously inside the session's own receive callback is
 * the Node 20 bug this test is about, and it would spin THIS (client) process instead.
 */
function requestThenReset(
  pool: HbonePool,
  ctx: ReturnType<typeof createHboneSecureContext>,
  port: number,
  path: string,
  when: When,
  code: number,
): Promise<void> {
  return pool
    .connect({
      sourceIdentity: SLEEP_ID,
      destinationIdentities: [WAYPOINT_ID],
      nextHop: socketAddress("127.0.0.1", port),
      sourceIp: undefined,
      secureContext: ctx,
      headers: connectHeaders({ authority: AUTHORITY }),
    })
    .then(
      (stream) =>
        new Promise<void>((resolve) => {
          const reset = () =>
            setImmediate(() => {
              if (!stream.closed && !stream.destroyed) stream.close(code);
              resolve();
            });
          const req = http.request({
            path,
            headers: { host: AUTHORITY },
            createConnection: () => jsDuplex(stream) as net.Socket,
          });
          req.on("error", () => resolve());
          stream.on("error", () => {});
          req.once("response", (res) => {
            res.on("error", () => {});
            if (when === "after-headers") {
              reset();
              return;
            }
            res.once("data", () => {
              if (when === "mid-body") reset();
            });
            res.once("end", reset);
            res.resume();
          });
          req.end();
          if (when === "before-response") reset();
        }),
    );
}

function spawnTsx(file: string): ChildProcess {
  return spawn(process.execPath, ["--conditions=source", "--import", "tsx", file], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, AMBIT_LOG: "error" },
  });
}

/** First stdout line of a child, or undefined after `ms` / when it exits first. */
function firstLine(child: ChildProcess, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    const t = setTimeout(() => resolve(undefined), ms);
    child.stdout?.on("data", (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, nl));
      }
    });
    child.once("exit", () => {
      clearTimeout(t);
      resolve(undefined);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.stdin?.end();
  const t = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(t);
}

/** CPU seconds `pid` uses during the next second. */
async function idleCpu(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const c0 = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, 1000));
  return cpuSeconds(pid) - c0;
}

describe("client RST_STREAM at any point does not make the waypoint spin (DoS regression)", () => {
  let child: ChildProcess;
  let info: { port: number; pems: ClientPems; pid: number };
  let pool: HbonePool;
  before(async () => {
    child = spawnTsx(CHILD);
    const line = await firstLine(child, 60_000);
    assert.ok(line, "waypoint child started");
    info = JSON.parse(line);
    pool = new HbonePool();
  });
  after(async () => {
    pool.close(true);
    await stopChild(child);
  });

  it("the original report: 5 concurrent tunnels reset (NO_ERROR) from the client's receive callback", async (t) => {
    // That client spins in its own process on Node 20 (see reset-client-child.ts); the waypoint
    // must stay idle and keep serving either way.
    const client = spawnTsx(RESET_CLIENT);
    try {
      client.stdin?.write(`${JSON.stringify({ port: info.port, pems: info.pems, rounds: 4 })}\n`);
      const done = await firstLine(client, 10_000);
      const idleS = await idleCpu(info.pid);
      t.diagnostic(
        `client ${done ? "finished" : "stuck (its own nghttp2 spin)"}; waypoint ${idleS.toFixed(2)} CPU s/s`,
      );
      assert.ok(idleS < 0.2, `waypoint used ${idleS.toFixed(2)} s CPU in the second after the resets`);
    } finally {
      client.kill("SIGKILL");
    }
    const ctx = createHboneSecureContext(info.pems);
    await requestThenReset(pool, ctx, info.port, "/bytes/10", "after-response", NGHTTP2_CANCEL);
  });

  it("many concurrent tunnels reset after/mid/before the forwarded response; then idle", async () => {
    const ctx = createHboneSecureContext(info.pems);
    const whens: When[] = ["after-response", "after-headers", "mid-body", "before-response"];
    const codes = [NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR];
    const cpuStart = cpuSeconds(info.pid);
    const traffic = (async () => {
      for (let round = 0; round < 6; round++) {
        await Promise.all(
          Array.from({ length: 12 }, (_, i) => {
            const path = i % 3 === 0 ? "/bytes/262144" : i % 3 === 1 ? "/bytes/1024" : `/echo/${i}`;
            return requestThenReset(
              pool,
              ctx,
              info.port,
              path,
              whens[(i + round) % 4] as When,
              codes[i % 3] as number,
            );
          }),
        );
      }
    })();
    // A spinning waypoint stops answering: do not wait for ever, measure anyway.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([traffic, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    const busyS = cpuSeconds(info.pid) - cpuStart;
    const idleS = await idleCpu(info.pid);
    assert.ok(
      idleS < 0.2,
      `waypoint used ${idleS.toFixed(2)} s CPU in the idle second after the resets (traffic ${busyS.toFixed(2)} s)`,
    );
    // And it still serves.
    await requestThenReset(pool, ctx, info.port, "/bytes/10", "after-response", NGHTTP2_CANCEL);
  });
});
