import type { NetnsHarness, TwoNodeTopology } from "@ambit/testing";
import type { BenchPlan } from "./bench-options.js";
import type { LoadgenClient } from "./loadgen/loadgen-client.js";
import type { Endpoint, PathSetup } from "./paths/bench-path.js";
import { groupCpuSeconds, type ProcGroup } from "./procs.js";
import type { CpuPer1k, CpuPer1kByProc, PctKey, RateRep, RepResult } from "./report/results.js";
import { runIperf, runWrk } from "./scenarios/tools.js";

/** Everything one repetition needs. */
export interface MeasureEnv {
  readonly harness: NetnsHarness;
  readonly topo: TwoNodeTopology;
  readonly loadgen: LoadgenClient;
  readonly plan: BenchPlan;
  /** wrk is used for max rps when installed; otherwise the load generator runs closed-loop. */
  readonly haveWrk: boolean;
}

/** CPU seconds of the path's proxies so far, per side and per process label (summed if shared). */
export interface CpuSnap {
  readonly nodeA: number;
  readonly nodeB: number;
  readonly byProc: Readonly<Record<string, number>>;
}

/** CPU of the path's proxies; undefined for a path without proxies (the baseline). */
function cpuSnap(procs: readonly ProcGroup[]): CpuSnap | undefined {
  if (procs.length === 0) return undefined;
  let nodeA = 0;
  let nodeB = 0;
  const byProc: Record<string, number> = {};
  for (const p of procs) {
    const cpu = groupCpuSeconds(p.pid);
    if (p.side === "node-b" || p.side === "server-pod") nodeB += cpu;
    else nodeA += cpu;
    byProc[p.label] = (byProc[p.label] ?? 0) + cpu;
  }
  return { nodeA, nodeB, byProc };
}

const perThousand = (cpuS: number, requests: number): number =>
  requests > 0 ? (cpuS * 1000) / requests : Number.NaN;

/** CPU seconds per 1000 requests between two snapshots (vCPU per 1000 rps). */
export function cpuPer1k(
  before: Omit<CpuSnap, "byProc"> | undefined,
  after: Omit<CpuSnap, "byProc"> | undefined,
  requests: number,
): CpuPer1k {
  if (before === undefined || after === undefined)
    return { nodeA: Number.NaN, nodeB: Number.NaN, total: Number.NaN };
  const a = perThousand(after.nodeA - before.nodeA, requests);
  const b = perThousand(after.nodeB - before.nodeB, requests);
  return { nodeA: a, nodeB: b, total: a + b };
}

/**
 * Each process's own CPU seconds per 1000 requests between two snapshots, keyed by its label in
 * `after`'s order: the waypoint's share of `ambit-waypoint` is otherwise hidden in node B's sum.
 * Empty for a path without proxies; NaN for a label missing from `before`.
 */
export function cpuPer1kByProc(
  before: CpuSnap | undefined,
  after: CpuSnap | undefined,
  requests: number,
): CpuPer1kByProc {
  const out: Record<string, number> = {};
  if (before === undefined || after === undefined) return out;
  for (const [label, cpu] of Object.entries(after.byProc))
    out[label] = perThousand(cpu - (before.byProc[label] ?? Number.NaN), requests);
  return out;
}

function pct(s: { percentilesMs: Record<string, number> }): Record<PctKey, number> {
  const g = (k: string): number => s.percentilesMs[k] ?? Number.NaN;
  return { p50: g("p50"), p90: g("p90"), p99: g("p99"), "p99.9": g("p99.9") };
}

async function measureRate(
  env: MeasureEnv,
  http: Endpoint,
  procs: readonly ProcGroup[],
  rate: number,
): Promise<RateRep> {
  const { plan } = env;
  const before = cpuSnap(procs);
  const r = await env.loadgen.run(
    {
      mode: "rate",
      target: { ...http, path: "/1k" },
      rate,
      conns: plan.rateConns,
      durationMs: plan.rateSeconds * 1000,
      warmupMs: plan.warmupMs,
    },
    plan.rateSeconds * 1000 + plan.warmupMs + 20_000,
  );
  const sent = Math.round((rate * (plan.rateSeconds * 1000 + plan.warmupMs)) / 1000);
  const after = cpuSnap(procs);
  return {
    rate,
    achievedRps: r.rps,
    errors: r.errors + r.badStatus,
    unsent: r.unsent ?? 0,
    latencyMs: pct(r.latency),
    latencyFromIntendedMs: pct(r.latencyFromIntended ?? r.latency),
    senderLatenessP99Ms: r.senderLateness?.percentilesMs["p99"] ?? Number.NaN,
    cpuPer1k: cpuPer1k(before, after, sent),
    cpuPer1kByProc: cpuPer1kByProc(before, after, sent),
  };
}

/**
 * After a saturated run a path can still be draining its backlog (queued streams, socket buffers);
 * the next scenario would then measure the backlog. Wait until a single connection gets quick
 * answers again, for at most `plan.settleMaxMs`.
 */
async function settle(env: MeasureEnv, http: Endpoint): Promise<void> {
  const deadline = Date.now() + env.plan.settleMaxMs;
  while (Date.now() < deadline) {
    const r = await env.loadgen.run(
      { mode: "closed", target: { ...http, path: "/1k" }, conns: 1, durationMs: 200, warmupMs: 0 },
      20_000,
    );
    if (r.requests >= 5 && (r.latency.percentilesMs["p99"] ?? Number.POSITIVE_INFINITY) < 20) return;
  }
}

/**
 * One repetition of all scenarios, in a fixed order: throughput, fixed rates (low to high), max
 * rps, new connections. The client side always runs in the client pod.
 */
export async function measureRep(env: MeasureEnv, setup: PathSetup): Promise<RepResult> {
  const { plan, harness: h, topo } = env;
  const client = topo.podA.ns;
  const http = setup.targets.http;
  const throughputGbps = await runIperf(h, client, setup.targets.iperf, plan.iperfSeconds);
  const rates: RateRep[] = [];
  for (const rate of plan.rates) {
    const r = await measureRate(env, http, setup.procs, rate);
    rates.push(r);
    if (r.unsent > 0 || r.achievedRps < 0.9 * rate) await settle(env, http);
  }
  const before = cpuSnap(setup.procs);
  let maxRps: number;
  let maxRpsErrors: number;
  let requests: number;
  if (env.haveWrk) {
    const w = await runWrk(h, client, http, plan.maxRpsSeconds, plan.maxRpsConns);
    [maxRps, maxRpsErrors, requests] = [w.rps, w.errors, w.requests];
  } else {
    const r = await env.loadgen.run(
      {
        mode: "closed",
        target: { ...http, path: "/1k" },
        conns: plan.maxRpsConns,
        durationMs: plan.maxRpsSeconds * 1000,
        warmupMs: 0,
      },
      plan.maxRpsSeconds * 1000 + 20_000,
    );
    [maxRps, maxRpsErrors, requests] = [r.rps, r.errors + r.badStatus, r.requests];
  }
  const after = cpuSnap(setup.procs);
  const maxRpsCpuPer1k = cpuPer1k(before, after, requests);
  const maxRpsCpuPer1kByProc = cpuPer1kByProc(before, after, requests);
  const c = await env.loadgen.run(
    {
      mode: "connect",
      target: { ...http, path: "/1k" },
      conns: plan.connConcurrency,
      durationMs: plan.connSeconds * 1000,
      warmupMs: 100,
    },
    plan.connSeconds * 1000 + 20_000,
  );
  return {
    throughputGbps,
    rates,
    maxRps,
    maxRpsErrors,
    maxRpsTool: env.haveWrk ? "wrk" : "loadgen",
    maxRpsCpuPer1k,
    maxRpsCpuPer1kByProc,
    connPerS: c.rps,
    connErrors: c.errors + c.badStatus,
  };
}
