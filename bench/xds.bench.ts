/**
 * xDS server benchmark (issue 4): 10k workloads, 1k services, 100 concurrent delta ADS clients over
 * TLS on loopback. Phases: (1) all clients connect and sync an empty snapshot; (2) the full
 * snapshot is published — `fullPushMs` is until every client holds all of it; (3) one pod changes —
 * `changeMs` is until every client has the new version. Server RSS is sampled throughout. Clients
 * run in 2 child processes (50 each), so the server process's RSS and CPU are the server's alone;
 * they ACK everything but skip decoding big payloads (`BENCH_CLIENT=engine` uses the full client
 * engine instead). All figures include the shared machine's load, reported as `loadAverage1m`.
 *
 *   node --conditions=source --import tsx bench/xds.bench.ts [--workloads 10000] [--services 1000]
 *        [--clients 100] [--changes 5] [--json out.json]
 */
import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ControlPlaneServer, XdsServer } from "@ambit/control-plane";
import { TypeUrl } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import { buildResources, podResource } from "./xds/resources.js";

const CHILD_PROCESSES = 2;
const GOALS = { fullPushMs: 2000, changeMs: 100, rssMb: 300 };

type ChildMsg =
  | { t: "ready" }
  | { t: "synced"; client: number; address: number; authorization: number }
  | { t: "complete"; client: number }
  | { t: "changed"; client: number; version: string }
  | { t: "cpu"; ms: number };

async function main(): Promise<void> {
  // RSS of this process before any server state: node + the tsx loader thread (~100 MB), not ambit.
  const processBaselineRss = process.memoryUsage.rss();
  const { values } = parseArgs({
    options: {
      workloads: { type: "string", default: "10000" },
      services: { type: "string", default: "1000" },
      clients: { type: "string", default: "100" },
      changes: { type: "string", default: "5" },
      json: { type: "string" },
      "profile-push": { type: "string" },
      "profile-changes": { type: "string" },
    },
  });
  const nWorkloads = Number(values.workloads);
  const nServices = Number(values.services);
  const nClients = Number(values.clients);
  const nChanges = Number(values.changes);

  const pki = await createTestPki();
  const leaf = await pki.issue({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  const server = new ControlPlaneServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certChainPem: leaf.chainPem, keyPem: leaf.keyPem },
  });
  const xds = new XdsServer({
    authenticator: { authenticate: (md) => ({ node: String(md.get("authorization")[0] ?? "bench") }) },
  });
  xds.register(server);
  const port = await server.start();

  const t0 = performance.now();
  const { address, authorization, podNames } = buildResources(nWorkloads, nServices);
  const buildMs = performance.now() - t0;

  const rssBeforeClients = process.memoryUsage.rss();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 1000);

  const marker = podNames[0] as string;
  const children = Array.from({ length: CHILD_PROCESSES }, (_, i) =>
    fork(new URL("./xds/clients.ts", import.meta.url), [], {
      // BENCH_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/x" profiles the clients.
      execArgv: [
        "--conditions=source",
        "--import",
        "tsx",
        ...(process.env["BENCH_CHILD_ARGS"]?.split(" ").filter(Boolean) ?? []),
      ],
      env: {
        ...process.env,
        AMBIT_LOG: "error",
        BENCH_PORT: String(port),
        BENCH_ROOTS: leaf.rootsPem,
        BENCH_FIRST: String((i * nClients) / CHILD_PROCESSES),
        BENCH_COUNT: String(nClients / CHILD_PROCESSES),
        BENCH_MARKER: marker,
        BENCH_EXPECT: `${address.size},${authorization.size}`,
      },
    }),
  );
  const synced = new Set<number>();
  const complete = new Set<number>();
  const changed = new Map<string, Set<number>>();
  let onMsg: () => void = () => {};
  const cpuReplies: number[] = [];
  /** CPU ms used so far by all client processes (they share the machine with the server). */
  const clientsCpuMs = async (): Promise<number> => {
    cpuReplies.length = 0;
    for (const c of children) c.send("cpu");
    await until(() => cpuReplies.length === children.length, 10_000);
    return cpuReplies.reduce((a, b) => a + b, 0);
  };
  for (const c of children) {
    c.on("message", (m: ChildMsg) => {
      if (m.t === "cpu") cpuReplies.push(m.ms);
      if (process.env["BENCH_DEBUG"]) process.stderr.write(`${JSON.stringify(m)}\n`);
      if (m.t === "synced") synced.add(m.client);
      if (m.t === "complete") complete.add(m.client);
      if (m.t === "changed") {
        const set = changed.get(m.version) ?? new Set();
        set.add(m.client);
        changed.set(m.version, set);
      }
      onMsg();
    });
  }
  const until = (cond: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("bench step timed out")), timeoutMs);
      onMsg = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        }
      };
      onMsg();
    });

  // Phase 1: every client connects and syncs an empty snapshot (TLS, stream, first ACKs).
  await Promise.all(children.map((c) => new Promise((r) => c.once("message", r))));
  const connectStart = performance.now();
  for (const c of children) c.send("start");
  await until(() => synced.size === nClients, 60_000);
  const connectMs = performance.now() - connectStart;

  // Phase 2: publish the full snapshot to the connected clients; done when all hold everything.
  const clientsCpuBefore = await clientsCpuMs();
  const profiler = values["profile-push"] ? await startProfiler() : undefined;
  const pushStart = performance.now();
  const cpuPush = process.cpuUsage();
  xds.update(
    new Map([
      [TypeUrl.address, address],
      [TypeUrl.authorization, authorization],
    ]),
  );
  await until(() => complete.size === nClients, 120_000);
  const fullPushMs = performance.now() - pushStart;
  const fullPushServerCpuMs = cpuMs(process.cpuUsage(cpuPush));
  const rssAfterPush = process.memoryUsage.rss();
  if (profiler && values["profile-push"]) await profiler.stop(values["profile-push"]);
  const fullPushClientsCpuMs = (await clientsCpuMs()) - clientsCpuBefore;

  const changeMs: number[] = [];
  const changeCpuMs: number[] = [];
  let current = address;
  const changeProfiler = values["profile-changes"] ? await startProfiler() : undefined;
  for (let i = 0; i < nChanges; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const res = podResource(0, nServices, `rev-${i}`);
    // A new map per snapshot: published snapshots are immutable.
    const next = new Map(current);
    next.set(res.name, res);
    current = next;
    const start = performance.now();
    const cpu = process.cpuUsage();
    xds.update(
      new Map([
        [TypeUrl.address, next],
        [TypeUrl.authorization, authorization],
      ]),
    );
    await until(() => (changed.get(res.version)?.size ?? 0) === nClients, 10_000);
    changeMs.push(performance.now() - start);
    changeCpuMs.push(cpuMs(process.cpuUsage(cpu)));
  }
  if (changeProfiler && values["profile-changes"]) await changeProfiler.stop(values["profile-changes"]);
  clearInterval(sampler);
  const status = xds.status();
  const result = {
    workloads: nWorkloads,
    services: nServices,
    clients: nClients,
    snapshotBuildMs: Math.round(buildMs),
    connectMs: Math.round(connectMs),
    fullPushMs: Math.round(fullPushMs),
    fullPushServerCpuMs: Math.round(fullPushServerCpuMs),
    fullPushClientsCpuMs: Math.round(fullPushClientsCpuMs),
    changeMs: changeMs.map((x) => Math.round(x * 10) / 10),
    changeMedianMs: Math.round(median(changeMs) * 10) / 10,
    changeMaxMs: Math.round(Math.max(...changeMs) * 10) / 10,
    changeServerCpuMs: changeCpuMs.map((x) => Math.round(x * 10) / 10),
    processBaselineRssMb: Math.round(processBaselineRss / 2 ** 20),
    serverRssBeforeClientsMb: Math.round(rssBeforeClients / 2 ** 20),
    serverRssMb: Math.round(rssAfterPush / 2 ** 20),
    serverPeakRssMb: Math.round(peakRss / 2 ** 20),
    streamsSynced: status.streams.filter((s) => s.types.every((t) => t.sync === "synced")).length,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    goals: GOALS,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (values.json)
    (await import("node:fs")).writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  for (const c of children) c.kill("SIGTERM");
  await server.stop(100);
  const ok =
    fullPushMs < GOALS.fullPushMs &&
    Math.max(...changeMs) < GOALS.changeMs &&
    peakRss / 2 ** 20 < GOALS.rssMb;
  process.stderr.write(ok ? "xds bench: all goals met\n" : "xds bench: GOAL MISSED\n");
  process.exitCode = ok ? 0 : 1;
}

/** CPU profile of one phase (`--profile-push out.cpuprofile`, open in Chrome DevTools). */
async function startProfiler(): Promise<{ stop(path: string): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(path) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`xds bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
