import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { createTwoNodeTopology, NetnsHarness, type TwoNodeTopology } from "@ambit/testing";
import { BenchError } from "./bench-error.js";
import { type BenchOptions, type BenchPlan, benchPlan } from "./bench-options.js";
import { sampleBackgroundCpuPct } from "./host-load.js";
import { type LoadgenClient, startLoadgen } from "./loadgen/loadgen-client.js";
import { note, shout } from "./log.js";
import { measureRep } from "./measure.js";
import type { BenchPath, PathContext, PathSetup, Upstream } from "./paths/bench-path.js";
import { discoverPaths, selectPaths } from "./paths/registry.js";
import { type BenchPki, createBenchPki } from "./pki.js";
import {
  groupPeakRssMiB,
  installGroupKillHooks,
  type ProcGroup,
  sleep,
  spawnGroup,
  stopGroup,
  waitForListen,
} from "./procs.js";
import { type BenchReport, type PathResult, type RepResult, summarise } from "./report/results.js";
import { startServerPod } from "./servers.js";
import { CORE_NEEDS, haveBin, installBenchPackages, missingNeeds } from "./system.js";

/** Per-namespace kernel settings for connection churn (the new-connections scenario). */
const CHURN_SYSCTLS: readonly [string, string][] = [
  ["net.ipv4.tcp_tw_reuse", "1"],
  ["net.ipv4.ip_local_port_range", "10000 65000"],
  ["net.core.somaxconn", "4096"],
];

/** The warm-up's open-loop rate: the first measured rate, so it starts on warm code. */
const WARMUP_RPS = 1000;
/** `--quick` caps every path's warm-up at this many seconds (its 2-minute budget). */
export const QUICK_WARMUP_CAP_S = 1;
/** A warm-up longer than this is a typo in a path file, not a plan. */
const MAX_WARMUP_S = 60;

/**
 * How long to warm `path` up before its first repetition: its `warmupSeconds` (none by default),
 * capped at `QUICK_WARMUP_CAP_S` under `--quick`. Rejects a negative, non-finite or over-a-minute
 * value instead of silently running without (or forever).
 */
export function warmupSecondsFor(
  path: Pick<BenchPath, "name" | "warmupSeconds">,
  mode: "quick" | "full",
): number {
  const s = path.warmupSeconds;
  if (s === undefined) return 0;
  if (!Number.isFinite(s) || s < 0 || s > MAX_WARMUP_S)
    throw new BenchError("bad_option", `${path.name}: warmupSeconds must be 0..${MAX_WARMUP_S}, got ${s}`);
  return mode === "quick" ? Math.min(s, QUICK_WARMUP_CAP_S) : s;
}

interface RunEnv {
  readonly h: NetnsHarness;
  readonly topo: TwoNodeTopology;
  readonly pki: BenchPki;
  readonly upstreams: readonly Upstream[];
  readonly loadgen: LoadgenClient;
  readonly plan: BenchPlan;
  readonly workRoot: string;
  readonly repoRoot: string;
  readonly haveWrk: boolean;
  /** `--quick` without `--reps`: a path's `quickReps` caps its repetitions. */
  readonly capQuickReps: boolean;
}

/** Runs the whole bench and returns the report; always removes namespaces and processes it made. */
export async function runBench(opts: BenchOptions, repoRoot: string): Promise<BenchReport> {
  const started = Date.now();
  const plan = benchPlan(opts);
  if (process.getuid?.() !== 0) throw new BenchError("not_root", "bench: needs root (network namespaces)");
  if (!opts.noInstall) {
    const err = installBenchPackages(repoRoot);
    if (err !== undefined) shout(`${err}; continuing with the tools that are installed`);
  }
  const core = CORE_NEEDS.filter((n) => !haveBin(n.bin));
  if (core.length > 0) {
    throw new BenchError(
      "missing_tool",
      `bench: missing ${core.map((n) => `${n.bin} (Debian package ${n.pkg})`).join(", ")}`,
    );
  }
  const all = await discoverPaths();
  const paths = selectPaths(all, opts.paths, opts.quick);
  const leftOut = all.filter((p) => !paths.includes(p));
  if (opts.quick && (opts.paths ?? []).length === 0 && leftOut.length > 0)
    note(`--quick leaves out ${leftOut.map((p) => p.name).join(", ")} (full run, or name it in --paths)`);
  installGroupKillHooks(); // before the harness: its signal hook must run last
  const h = await NetnsHarness.create();
  const workRoot = mkdtempSync(join(tmpdir(), "ambit-bench-"));
  chmodSync(workRoot, 0o755); // nginx workers run as nobody and must read the served file
  const results: PathResult[] = [];
  let loadgen: LoadgenClient | undefined;
  const servers: ProcGroup[] = [];
  try {
    const topo = await createTwoNodeTopology(h);
    for (const host of [topo.podA, topo.podB, topo.nodeA, topo.nodeB]) {
      for (const [k, v] of CHURN_SYSCTLS) await h.sysctl(host.ns, k, v);
    }
    note(
      `topology ${h.prefix}*: client pod ${topo.podA.ip} (node A ${topo.nodeA.ip}) → server pod ${topo.podB.ip} (node B ${topo.nodeB.ip})`,
    );
    const pki = await createBenchPki(join(workRoot, "pki"), topo.nodeB.ip);
    const pod = await startServerPod(h, topo, join(workRoot, "server-pod"));
    servers.push(...pod.procs);
    loadgen = await startLoadgen(h, topo.podA.ns, repoRoot);
    const env: RunEnv = {
      h,
      topo,
      pki,
      upstreams: pod.upstreams,
      loadgen,
      plan,
      workRoot,
      repoRoot,
      haveWrk: haveBin("wrk"),
      capQuickReps: opts.quick && opts.reps === undefined,
    };
    if (!env.haveWrk)
      shout("wrk is not installed (Debian package wrk): max rps uses the built-in closed-loop generator");
    note(`${plan.mode} run: ${paths.map((p) => p.name).join(", ")}; ${plan.reps} repetitions each`);
    for (const path of paths) results.push(await runPath(env, path));
  } finally {
    await loadgen?.close().catch(() => undefined);
    for (const g of servers) await stopGroup(g);
    await h.cleanup();
    rmSync(workRoot, { recursive: true, force: true });
  }
  return {
    startedAt: new Date(started).toISOString(),
    mode: plan.mode,
    reps: plan.reps,
    host: { cpus: cpus().length, kernel: release(), node: process.version, loadavg: loadavg() },
    plan: { ...plan },
    paths: results,
    elapsedS: (Date.now() - started) / 1000,
  };
}

function pathContext(env: RunEnv, path: BenchPath, groups: ProcGroup[]): PathContext {
  const workDir = join(env.workRoot, path.name);
  mkdirSync(workDir, { recursive: true });
  return {
    harness: env.h,
    topo: env.topo,
    upstreams: env.upstreams,
    pki: env.pki,
    workDir,
    repoRoot: env.repoRoot,
    spawn(ns, args, o) {
      const g = spawnGroup(env.h, ns, args, {
        ...o,
        logFile: join(workDir, `${groups.length}-${o.label.replace(/\W+/g, "_")}.out`),
      });
      groups.push(g);
      return g;
    },
    waitForListen: (ns, port, group) => waitForListen(env.h, ns, port, group === undefined ? {} : { group }),
  };
}

/**
 * Checks that HTTP requests through the path get 2xx before anything is measured. A proxy can
 * listen before it is ready to forward (its upstream TLS session is still being set up on a busy
 * box), so it gets a few tries over ~15 s.
 */
async function smokeTest(env: RunEnv, setup: PathSetup): Promise<void> {
  let last = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = await env.loadgen.run(
      {
        mode: "closed",
        target: { ...setup.targets.http, path: "/1k" },
        conns: 1,
        durationMs: 300,
        warmupMs: 0,
      },
      20_000,
    );
    if (r.requests > 0 && r.errors === 0 && r.badStatus === 0) return;
    last = `${r.requests} ok, ${r.errors} errors (${r.firstError ?? "none"}), ${r.badStatus} non-2xx`;
    note(`smoke test attempt ${attempt}: ${last}`);
    await sleep(1000);
  }
  throw new BenchError("path_unreachable", `smoke test: ${last}`);
}

/**
 * Drives the path's HTTP target at `WARMUP_RPS` for `seconds`, unmeasured, so that the first rate
 * scenario does not pay for the proxies' JIT warm-up. A failing warm-up is logged, not fatal: the
 * repetitions that follow measure (and report) whatever is wrong.
 */
async function warmUp(env: RunEnv, path: BenchPath, setup: PathSetup, seconds: number): Promise<void> {
  if (seconds <= 0) return;
  try {
    const r = await env.loadgen.run(
      {
        mode: "rate",
        target: { ...setup.targets.http, path: "/1k" },
        rate: WARMUP_RPS,
        conns: env.plan.rateConns,
        durationMs: seconds * 1000,
        warmupMs: 0,
      },
      seconds * 1000 + 20_000,
    );
    note(
      `${path.name}: warmed up ${seconds} s at ${WARMUP_RPS} rps (not measured): ${r.requests} requests, ${r.errors + r.badStatus} errors`,
    );
  } catch (e) {
    shout(`${path.name}: warm-up failed (continuing): ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function runPath(env: RunEnv, path: BenchPath): Promise<PathResult> {
  const before = await sampleBackgroundCpuPct();
  const r = await runPathInner(env, path);
  const after = await sampleBackgroundCpuPct();
  if (before > 25 || after > 25) {
    shout(
      `${path.name}: the machine was ${before.toFixed(0)}% / ${after.toFixed(0)}% busy with other work before/after; numbers are depressed`,
    );
  }
  return { ...r, backgroundCpuPct: { before, after } };
}

async function runPathInner(env: RunEnv, path: BenchPath): Promise<Omit<PathResult, "backgroundCpuPct">> {
  const base = { name: path.name, kind: path.kind, description: path.description };
  const missing = missingNeeds(path);
  if (missing.length > 0) {
    const reason = `missing ${missing.join(", ")}`;
    shout(`SKIPPING PATH ${path.name}: ${reason}. Install with: bash scripts/setup-system.sh --bench`);
    return { ...base, status: "skipped", reason, reps: [] };
  }
  const groups: ProcGroup[] = [];
  const ctx = pathContext(env, path, groups);
  const reps: RepResult[] = [];
  const failedReps: string[] = [];
  try {
    note(`${path.name}: setting up`);
    const setup = await path.setup(ctx);
    await smokeTest(env, setup);
    await warmUp(env, path, setup, warmupSecondsFor(path, env.plan.mode));
    const menv = {
      harness: env.h,
      topo: env.topo,
      loadgen: env.loadgen,
      plan: env.plan,
      haveWrk: env.haveWrk,
    };
    const nReps = env.capQuickReps ? Math.min(env.plan.reps, path.quickReps ?? env.plan.reps) : env.plan.reps;
    for (let i = 0; i < nReps; i++) {
      let rep: RepResult;
      try {
        rep = await measureRep(menv, setup);
      } catch (e) {
        // One bad repetition (a stalled tunnel, a tool timeout) is reported, not fatal; the path
        // fails only when no repetition succeeds.
        const reason = e instanceof Error ? e.message : String(e);
        failedReps.push(`rep ${i + 1}: ${reason}`);
        shout(`${path.name} rep ${i + 1}/${nReps} failed: ${reason}`);
        continue;
      }
      reps.push(rep);
      const r = rep.rates.map((x) => `p99@${x.rate} ${x.latencyMs.p99.toFixed(3)} ms`).join(", ");
      note(
        `${path.name} rep ${i + 1}/${nReps}: ${rep.throughputGbps.toFixed(2)} Gbit/s, ${r}, max ${Math.round(rep.maxRps)} rps, ${Math.round(rep.connPerS)} conn/s`,
      );
    }
    if (reps.length === 0) {
      throw new BenchError("scenario_failed", `every repetition failed: ${failedReps.join("; ")}`);
    }
    const procs = setup.procs.map((p) => ({
      label: p.label,
      side: p.side,
      peakRssMiB: groupPeakRssMiB(p.pid),
    }));
    const side = (s: string): number =>
      procs.filter((p) => p.side === s).reduce((t, p) => t + p.peakRssMiB, 0);
    return {
      ...base,
      status: "ok",
      reps,
      failedReps,
      summary: summarise(reps, { rssMiB: { nodeA: side("node-a"), nodeB: side("node-b") }, procs }),
    };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    shout(`PATH ${path.name} FAILED: ${reason}`);
    return { ...base, status: "failed", reason, reps, failedReps };
  } finally {
    await path.teardown(ctx).catch((e: unknown) => shout(`${path.name} teardown: ${String(e)}`));
    for (const g of groups) await stopGroup(g);
  }
}
