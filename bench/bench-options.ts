import { BenchError } from "./bench-error.js";

/** Command-line options of `npm run bench -- [options]`. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Paths to run besides the baseline; undefined = all discovered paths. */
  readonly paths: readonly string[] | undefined;
  /** Repetitions per measurement; undefined = the plan's default (3 quick, 5 full). */
  readonly reps: number | undefined;
  /** Directory for JSON and SVG output. */
  readonly outDir: string;
  /** Skip `scripts/setup-system.sh --bench` (package installation). */
  readonly noInstall: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--paths a,b] [--reps N] [--out DIR] [--no-install]
  (default)     full run: every path, then the CA scenario (certificates issued/s, time until
                100 identities hold certificates)
  --quick       short runs (whole bench < 2 min): iperf3 1 s, 1 s per latency/max-rps/conn run, 3 reps;
                leaves out paths with a slow set-up (ambit-waypoint) unless named in --paths, and the CA
  --paths a,b   only these paths (the baseline "direct" always runs; no CA scenario)
  --reps N      repetitions per measurement (medians are reported; default 3 quick / 5 full)
  --out DIR     where JSON and SVG go (default bench/results)
  --no-install  do not call scripts/setup-system.sh --bench; paths whose tools are missing are skipped
   or: npm run bench -- ca|xds|dataplane|waypoint|relay-floor [flags]   component benchmarks (CA issuance, xDS fan-out, ztunnel and waypoint data paths, the Node relay floor)`;

/** Parses argv (without node and script). Unknown flags are errors, not silently ignored. */
export function parseBenchOptions(argv: readonly string[], defaultOutDir: string): BenchOptions {
  let quick = false;
  let paths: string[] | undefined;
  let reps: number | undefined;
  let outDir = defaultOutDir;
  let noInstall = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new BenchError("bad_option", `${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--quick":
        quick = true;
        break;
      case "--paths":
        paths = value()
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "--reps": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 50)
          throw new BenchError("bad_option", `--reps must be 1..50, got ${v}`);
        reps = n;
        break;
      }
      case "--out":
        outDir = value();
        break;
      case "--no-install":
        noInstall = true;
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        throw new BenchError("bad_option", `unknown option ${a}\n${USAGE}`);
    }
  }
  return { quick, paths, reps, outDir, noInstall, help };
}

/** Durations, rates and repetitions of one run; everything the scenarios read. */
export interface BenchPlan {
  readonly mode: "quick" | "full";
  readonly reps: number;
  readonly iperfSeconds: number;
  /** Fixed request rates for the latency scenario. */
  readonly rates: readonly number[];
  readonly rateConns: number;
  readonly rateSeconds: number;
  /** Requests in the first `warmupMs` of each run are sent but not measured. */
  readonly warmupMs: number;
  readonly maxRpsSeconds: number;
  readonly maxRpsConns: number;
  readonly connSeconds: number;
  readonly connConcurrency: number;
  /** Longest wait for a path to drain after a saturated rate (see `settle` in measure.ts). */
  readonly settleMaxMs: number;
}

/** The plan for these options (quick: < 2 min for four paths on 2 cores; full: < 15 min for six). */
export function benchPlan(o: Pick<BenchOptions, "quick" | "reps">): BenchPlan {
  const base = { rates: [1000, 5000], rateConns: 4, maxRpsConns: 16, connConcurrency: 8 } as const;
  return o.quick
    ? {
        ...base,
        mode: "quick",
        settleMaxMs: 2000,
        reps: o.reps ?? 3,
        iperfSeconds: 1,
        rateSeconds: 1,
        warmupMs: 150,
        maxRpsSeconds: 1,
        connSeconds: 0.6,
      }
    : {
        ...base,
        mode: "full",
        settleMaxMs: 5000,
        reps: o.reps ?? 5,
        iperfSeconds: 5,
        rateSeconds: 4,
        warmupMs: 500,
        maxRpsSeconds: 3,
        connSeconds: 2,
      };
}
