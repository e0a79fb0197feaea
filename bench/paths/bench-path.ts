import type { NetnsHarness, TwoNodeTopology } from "@ambit/testing";
import type { BenchPki } from "../pki.js";
import type { ProcGroup, ProcSide } from "../procs.js";

/** An IPv4 address and TCP port as the client pod dials it. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** The server-pod services every path must carry: the 1 KiB HTTP server and iperf3. */
export type UpstreamName = "http" | "iperf";

export interface Upstream extends Endpoint {
  readonly name: UpstreamName;
}

/**
 * What a path hands to the harness once it is ready: where the client pod must connect to reach
 * each upstream through this path, and the proxy processes whose CPU and memory are charged to it.
 */
export interface PathSetup {
  readonly targets: Readonly<Record<UpstreamName, Endpoint>>;
  /** Every proxy process of the path (each a process group; forks are included automatically). */
  readonly procs: readonly ProcGroup[];
}

/**
 * Everything a path may use. Paths start processes only through `spawn` (tracked, killed on
 * teardown and on harness exit) and write files only under `workDir`.
 */
export interface PathContext {
  readonly harness: NetnsHarness;
  /** podA is the client pod (node A), podB the server pod (node B). */
  readonly topo: TwoNodeTopology;
  readonly upstreams: readonly Upstream[];
  /** CA + node certificates (ECDSA P-256) generated for this run. */
  readonly pki: BenchPki;
  /** A fresh directory for this path's configs and logs. */
  readonly workDir: string;
  /** Root of the repository (to find bench/peers sources). */
  readonly repoRoot: string;
  /** Starts a long-running process in `ns` as its own process group. */
  spawn(ns: string, args: readonly string[], opts: { label: string; side: ProcSide }): ProcGroup;
  /** Resolves once `port` listens in `ns`; rejects with the group's log tail if it died. */
  waitForListen(ns: string, port: number, group?: ProcGroup): Promise<void>;
}

/** How the report groups paths: ratios are given against the baseline and against each peer. */
export type PathKind = "baseline" | "peer" | "ambit";

/**
 * One way of carrying client-pod → server-pod traffic across the two nodes. Add a path by
 * dropping `bench/paths/<name>.path.ts` that exports `benchPath` (see docs/architecture/benchmarks.md).
 */
export interface BenchPath {
  /** Short unique name used in tables, JSON and `--paths` (kebab-case). */
  readonly name: string;
  readonly kind: PathKind;
  /** One line for the report: what the proxies are and how they are chained. */
  readonly description: string;
  /**
   * At most this many repetitions in `--quick` without `--reps` (default: the plan's). For paths
   * whose setup or repetitions are slow, so that the quick run stays short; an explicit `--reps`
   * and the full run always do every repetition.
   */
  readonly quickReps?: number;
  /**
   * Left out of `--quick` unless named in `--paths`: for a path whose set-up alone would break the
   * quick run's 2-minute budget (the full run always includes it).
   */
  readonly fullOnly?: boolean;
  /**
   * Seconds of unmeasured load (1000 rps, open loop, like the first rate scenario) after the smoke
   * test and before the first repetition. A freshly started Node proxy spends its first seconds
   * compiling (JIT) at several times its steady CPU cost, which would inflate the first measured
   * scenario. `--quick` caps it at 1 s. Default: none (native peers need none).
   */
  readonly warmupSeconds?: number;
  /** Executables the path needs, each with the Debian package that provides it. */
  readonly needs: readonly { readonly bin: string; readonly pkg: string }[];
  /** Starts the path's proxies; the harness then verifies one HTTP request through it. */
  setup(ctx: PathContext): Promise<PathSetup>;
  /**
   * Undoes what `setup` did beyond processes (rules, routes). The harness stops the path's process
   * groups itself after this returns, also when setup or a scenario failed.
   */
  teardown(ctx: PathContext): Promise<void>;
}
