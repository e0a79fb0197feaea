import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleepMs } from "node:timers/promises";
import { makeIdentity, socketAddress } from "@ambit/api";
import { connectHeaders, HbonePool, newTraceparent } from "@ambit/core";
import { createTestPki, type TestPki } from "@ambit/testing";
import { type Harness, SLEEP_IP, startApp, startHarness, WEB_IP } from "./testdata/harness.js";

/**
 * Interop with independent HBONE peers (toolbox.md): nghttpx as an HBONE client into our 15008;
 * our HBONE client towards nghttpx (+tinyproxy) and HAProxy (+tinyproxy) HBONE servers.
 */

const have = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
const missing = ["nghttpx", "haproxy", "tinyproxy"].filter((b) => !have(b));
const skip =
  missing.length > 0 ? `missing ${missing.join(", ")} (bash scripts/setup-system.sh --test)` : false;

let pki: TestPki;
let dir: string;
let app: Awaited<ReturnType<typeof startApp>>;
const procs: ChildProcess[] = [];
const PEER_ID = makeIdentity("default", "peer");
const SLEEP_ID = makeIdentity("default", "sleep");

async function freePort(host = "127.0.0.1"): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitListening(port: number, host = "127.0.0.1"): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleepMs(50);
  }
  assert.fail(`nothing listening on ${host}:${port}`);
}

function run(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  p.stderr?.on("data", () => {});
  procs.push(p);
  return p;
}

async function tinyproxy(): Promise<number> {
  const port = await freePort();
  const conf = join(dir, `tinyproxy-${port}.conf`);
  writeFileSync(
    conf,
    `Port ${port}\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nLogLevel Critical\nMaxClients 50\n`,
  );
  run("tinyproxy", ["-d", "-c", conf]);
  await waitListening(port);
  return port;
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "ambit-interop-"));
  pki = await createTestPki();
  app = await startApp();
  const peer = await pki.issue({ identity: PEER_ID });
  const sleep = await pki.issue({ identity: SLEEP_ID });
  writeFileSync(join(dir, "root.pem"), pki.rootsPem);
  writeFileSync(join(dir, "peer.crt"), peer.chainPem);
  writeFileSync(join(dir, "peer.key"), peer.keyPem);
  writeFileSync(join(dir, "peer.pem"), peer.chainPem + peer.keyPem);
  writeFileSync(join(dir, "sleep.crt"), sleep.chainPem);
  writeFileSync(join(dir, "sleep.key"), sleep.keyPem);
});

after(async () => {
  for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill("SIGTERM");
  if (app) await new Promise<void>((r) => app.server.close(() => r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Through an HTTP/1.1 CONNECT proxy: send `payload` once the tunnel is up and collect what comes
 * back until `payload` was echoed (or the proxy closes). No half-close: nghttpx's HTTP/1 frontend
 * tears a tunnel down on the client's FIN.
 */
async function http1Connect(port: number, host: string, target: string, payload: string): Promise<string> {
  const s = net.connect({ port, host });
  s.setEncoding("utf8");
  s.on("error", () => {});
  let all = "";
  let sent = false;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    s.on("data", (d: string) => {
      all += d;
      const head = all.indexOf("\r\n\r\n");
      if (head >= 0 && !sent) {
        sent = true;
        if (!all.startsWith("HTTP/1.1 200")) return resolve();
        s.write(payload);
      }
      if (head >= 0 && all.slice(head + 4).includes(payload)) {
        clearTimeout(timer);
        resolve();
      }
    });
    s.once("close", () => resolve());
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  });
  s.destroy();
  return all;
}

/** Write `msg` and resolve with what comes back once it is all there (or after 3 s). */
function echo(stream: http2.ClientHttp2Stream, msg: string): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    const timer = setTimeout(() => resolve(data), 3000);
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      data += d;
      if (data.length >= msg.length) {
        clearTimeout(timer);
        resolve(data);
      }
    });
    stream.write(msg);
  });
}

function read(stream: http2.ClientHttp2Stream, ms = 3000): Promise<{ data: string; how: string }> {
  return new Promise((resolve) => {
    let data = "";
    const timer = setTimeout(() => resolve({ data, how: "timeout" }), ms);
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      data += d;
    });
    stream.once("end", () => {
      clearTimeout(timer);
      resolve({ data, how: "end" });
    });
    stream.once("close", () => {
      clearTimeout(timer);
      resolve({ data, how: `close rst=${stream.rstCode}` });
    });
  });
}

describe("HBONE interop with real peers", { skip }, () => {
  it("nghttpx as HBONE client (workload cert) into our 15008", async (t) => {
    const h: Harness = await startHarness(pki);
    t.after(() => h.close());
    const front = await freePort(SLEEP_IP);
    run("nghttpx", [
      "--conf=/dev/null",
      "-s",
      "--workers=1",
      "--no-ocsp",
      `-f${SLEEP_IP},${front};no-tls`,
      `-b${WEB_IP},${h.server.ports.hbone};;proto=h2;tls`,
      `--client-private-key-file=${join(dir, "sleep.key")}`,
      `--client-cert-file=${join(dir, "sleep.crt")}`,
      "--insecure",
    ]);
    await waitListening(front, SLEEP_IP);
    const out = await http1Connect(front, SLEEP_IP, `${WEB_IP}:${app.port}`, "via-nghttpx");
    assert.match(out, /^HTTP\/1\.1 200/);
    assert.match(out, /\r\nbaggage: k8s\.cluster\.name=Kubernetes,k8s\.namespace\.name=default/i);
    assert.ok(out.endsWith("via-nghttpx"), JSON.stringify(out));
    for (let i = 0; i < 100 && !h.access.some((l) => l["reporter"] === "destination"); i++) await sleepMs(20);
    const line = h.access.find((l) => l["reporter"] === "destination");
    assert.equal(line?.["src_identity"], "spiffe://cluster.local/ns/default/sa/sleep");
    // A CONNECT to another pod's IP is refused with 400 over the same path.
    const bad = await http1Connect(front, SLEEP_IP, `127.0.0.9:${app.port}`, "x");
    assert.match(bad, /^HTTP\/1\.1 (400|502)/);
  });

  async function poolTo(port: number) {
    const ctx = (await import("@ambit/core")).createHboneSecureContext({
      certChain: (await import("node:fs")).readFileSync(join(dir, "sleep.crt"), "utf8"),
      privateKey: (await import("node:fs")).readFileSync(join(dir, "sleep.key"), "utf8"),
      roots: pki.rootsPem,
    });
    const pool = new HbonePool();
    const open = () =>
      pool.connect({
        sourceIdentity: SLEEP_ID,
        destinationIdentities: [PEER_ID],
        nextHop: socketAddress("127.0.0.1", port),
        sourceIp: undefined,
        secureContext: ctx,
        headers: connectHeaders({ authority: `${WEB_IP}:${app.port}`, traceparent: newTraceparent() }),
      });
    return { pool, open };
  }

  it("our HBONE client → nghttpx HBONE server (→ tinyproxy → app)", async (t) => {
    const tp = await tinyproxy();
    const port = await freePort();
    run("nghttpx", [
      "--conf=/dev/null",
      "-s",
      "--workers=1",
      "--no-ocsp",
      `-f127.0.0.1,${port}`,
      `-b127.0.0.1,${tp}`,
      "--verify-client",
      `--verify-client-cacert=${join(dir, "root.pem")}`,
      join(dir, "peer.key"),
      join(dir, "peer.crt"),
    ]);
    await waitListening(port);
    const { pool, open } = await poolTo(port);
    t.after(() => pool.close(true));
    const streams = await Promise.all([open(), open(), open()]);
    assert.equal(pool.connections().length, 1, "three CONNECTs share one nghttpx connection");
    for (const [i, st] of streams.entries()) {
      // tinyproxy does not forward a half-close, so check the echo and then close the stream.
      const got = echo(st, `n${i}`);
      assert.equal(await got, `n${i}`);
      st.close();
    }
  });

  it("our HBONE client → HAProxy HBONE server; HAProxy's early-half-close teardown is survived", async (t) => {
    const tp = await tinyproxy();
    const port = await freePort();
    const cfg = join(dir, `haproxy-${port}.cfg`);
    writeFileSync(
      cfg,
      [
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "  timeout tunnel 30s",
        "frontend hbone",
        `  bind 127.0.0.1:${port} ssl crt ${join(dir, "peer.pem")} ca-file ${join(dir, "root.pem")} verify required alpn h2 ssl-min-ver TLSv1.3`,
        "  default_backend tp",
        "backend tp",
        `  server tp 127.0.0.1:${tp}`,
        "",
      ].join("\n"),
    );
    run("haproxy", ["-db", "-f", cfg]);
    await waitListening(port);
    const { pool, open } = await poolTo(port);
    t.after(() => pool.close(true));
    // Data first, half-close later: the full exchange works.
    const st = await open();
    const got = read(st);
    st.write("hap");
    await sleepMs(100);
    st.end();
    const r1 = await got;
    assert.ok(r1.data.startsWith("hap"), JSON.stringify(r1));
    // Half-close right after the CONNECT: HAProxy may tear the tunnel down before the reply;
    // our side must end cleanly (no hang, no crash) with at most the echoed prefix.
    const early = await open();
    const got2 = read(early);
    early.end("z");
    const r2 = await got2;
    assert.notEqual(r2.how, "timeout", JSON.stringify(r2));
    assert.ok("z|eof".startsWith(r2.data), JSON.stringify(r2));
    // The pooled connection is still usable afterwards.
    const again = await open();
    const got3 = read(again);
    again.write("ok");
    await sleepMs(100);
    again.end();
    assert.ok((await got3).data.startsWith("ok"));
  });
});
