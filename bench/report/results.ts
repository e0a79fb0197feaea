import type { PathKind } from "../paths/bench-path.js";

/** Percentile keys in reports, lowest first. */
export const PCT_KEYS = ["p50", "p90", "p99", "p99.9"] as const;
export type PctKey = (typeof PCT_KEYS)[number];

/** CPU seconds per 1000 requests (≡ vCPU per 1000 rps), per node and in total. */
export interface CpuPer1k {
  readonly nodeA: number;
  readonly nodeB: number;
  readonly total: number;
}

/**
 * CPU seconds per 1000 requests of each proxy process group of a path, keyed by its label
 * ("waypoint (node B)", "ztunnel (node-a)"), in the path's order. A path with two processes on
 * one node (ztunnel B and the waypoint) needs this to show each one's cost; `CpuPer1k` sums them.
 */
export type CpuPer1kByProc = Readonly<Record<string, number>>;

export interface RateRep {
  readonly rate: number;
  readonly achievedRps: number;
  readonly errors: number;
  /** Requests still queued or in flight when the run stopped draining (the path saturated). */
  readonly unsent: number;
  readonly latencyMs: Readonly<Record<PctKey, number>>;
  /** From intended send time, generator timer lateness included. */
  readonly latencyFromIntendedMs: Readonly<Record<PctKey, number>>;
  readonly senderLatenessP99Ms: number;
  readonly cpuPer1k: CpuPer1k;
  readonly cpuPer1kByProc: CpuPer1kByProc;
}

/** One repetition of every scenario on one path. */
export interface RepResult {
  readonly throughputGbps: number;
  readonly rates: readonly RateRep[];
  readonly maxRps: number;
  readonly maxRpsErrors: number;
  readonly maxRpsTool: "wrk" | "loadgen";
  readonly maxRpsCpuPer1k: CpuPer1k;
  readonly maxRpsCpuPer1kByProc: CpuPer1kByProc;
  readonly connPerS: number;
  readonly connErrors: number;
}

export interface RateSummary {
  readonly rate: number;
  /** Median completed rate; well below `rate` means the path saturated (latency is then queueing). */
  readonly achievedRps: number;
  readonly latencyMs: Readonly<Record<PctKey, number>>;
  readonly cpuPer1k: CpuPer1k;
  readonly cpuPer1kByProc: CpuPer1kByProc;
  readonly errors: number;
  /** Summed over repetitions. */
  readonly unsent: number;
}

/** Medians over repetitions (errors are summed: any error is worth seeing). */
export interface PathSummary {
  readonly throughputGbps: number;
  readonly rates: readonly RateSummary[];
  readonly maxRps: number;
  readonly maxRpsCpuPer1k: CpuPer1k;
  readonly maxRpsCpuPer1kByProc: CpuPer1kByProc;
  readonly connPerS: number;
  readonly errors: number;
  /** Peak RSS (sum of VmHWM of each side's proxy processes), MiB. */
  readonly rssMiB: { readonly nodeA: number; readonly nodeB: number };
  readonly procs: readonly { readonly label: string; readonly side: string; readonly peakRssMiB: number }[];
}

export interface PathResult {
  readonly name: string;
  readonly kind: PathKind;
  readonly description: string;
  readonly status: "ok" | "skipped" | "failed";
  /** Why a path was skipped or failed (exact missing packages, or the error). */
  readonly reason?: string;
  readonly reps: readonly RepResult[];
  /** Repetitions that threw, with the reason (the summary is over the others). */
  readonly failedReps?: readonly string[];
  readonly summary?: PathSummary;
  /** Machine busy % while the bench was idle, just before setup and just after teardown (others' load). */
  readonly backgroundCpuPct: { readonly before: number; readonly after: number };
}

/** What `bench/ca.bench.ts` measures (issue 3): the control plane's CA over gRPC + TLS. */
export interface CaBenchResult {
  readonly certsIssued: number;
  readonly concurrency: number;
  readonly issueSeconds: number;
  /** Certificates issued per second (CSRs pre-generated; CA and client share one process). */
  readonly certsPerSecond: number;
  readonly cpuMsPerCert: number;
  readonly certsPerCpuSecond: number;
  readonly identities: number;
  readonly identitiesAvailable: number;
  /** Time until `identities` workloads on one node hold certificates via ztunnel's SecretManager. */
  readonly timeUntilAllHeldMs: number;
  readonly allHeldCpuMs: number;
  readonly loadAverage1m: number;
}

/** The CA scenario of a bench run: measured, or why not (quick runs leave it out). */
export type CaSection =
  | { readonly status: "ok"; readonly result: CaBenchResult; readonly elapsedS: number }
  | { readonly status: "skipped" | "failed"; readonly reason: string };

export interface BenchReport {
  readonly startedAt: string;
  readonly mode: "quick" | "full";
  readonly reps: number;
  readonly host: {
    readonly cpus: number;
    readonly kernel: string;
    readonly node: string;
    readonly loadavg: readonly number[];
  };
  readonly plan: Readonly<Record<string, unknown>>;
  readonly paths: readonly PathResult[];
  /** The CA scenario (issue 3); absent in reports written before it was part of the run. */
  readonly ca?: CaSection;
  readonly elapsedS: number;
}

/** Median of the finite values (mean of the middle two for an even count); NaN when none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function medianCpu(xs: readonly CpuPer1k[]): CpuPer1k {
  return {
    nodeA: median(xs.map((x) => x.nodeA)),
    nodeB: median(xs.map((x) => x.nodeB)),
    total: median(xs.map((x) => x.total)),
  };
}

/** Per process label, the median over the repetitions that have it (labels in first-seen order). */
export function medianByProc(xs: readonly CpuPer1kByProc[]): CpuPer1kByProc {
  const labels = [...new Set(xs.flatMap((x) => Object.keys(x)))];
  const out: Record<string, number> = {};
  for (const l of labels) out[l] = median(xs.map((x) => x[l] ?? Number.NaN));
  return out;
}

function medianPct(xs: readonly Readonly<Record<PctKey, number>>[]): Record<PctKey, number> {
  const out = {} as Record<PctKey, number>;
  for (const k of PCT_KEYS) out[k] = median(xs.map((x) => x[k]));
  return out;
}

/** Reduces repetitions to medians (each metric independently, as is usual for benchmark tables). */
export function summarise(
  reps: readonly RepResult[],
  rss: Pick<PathSummary, "rssMiB" | "procs">,
): PathSummary {
  const rates = [...new Set(reps.flatMap((r) => r.rates.map((x) => x.rate)))].sort((a, b) => a - b);
  return {
    throughputGbps: median(reps.map((r) => r.throughputGbps)),
    rates: rates.map((rate) => {
      const xs = reps.flatMap((r) => r.rates.filter((x) => x.rate === rate));
      return {
        rate,
        achievedRps: median(xs.map((x) => x.achievedRps)),
        latencyMs: medianPct(xs.map((x) => x.latencyMs)),
        cpuPer1k: medianCpu(xs.map((x) => x.cpuPer1k)),
        cpuPer1kByProc: medianByProc(xs.map((x) => x.cpuPer1kByProc)),
        errors: xs.reduce((s, x) => s + x.errors, 0),
        unsent: xs.reduce((s, x) => s + x.unsent, 0),
      };
    }),
    maxRps: median(reps.map((r) => r.maxRps)),
    maxRpsCpuPer1k: medianCpu(reps.map((r) => r.maxRpsCpuPer1k)),
    maxRpsCpuPer1kByProc: medianByProc(reps.map((r) => r.maxRpsCpuPer1kByProc)),
    connPerS: median(reps.map((r) => r.connPerS)),
    errors: reps.reduce(
      (s, r) => s + r.maxRpsErrors + r.connErrors + r.rates.reduce((t, x) => t + x.errors, 0),
      0,
    ),
    ...rss,
  };
}
