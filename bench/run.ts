/**
 * `npm run bench -- [--quick] [--paths a,b] [--reps N]`: builds a two-node netns cluster, measures
 * every path in bench/paths/ on it, then (full runs) the CA scenario, prints a markdown table on
 * stdout and writes JSON + an SVG chart under bench/results/. See docs/architecture/benchmarks.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBenchOptions, USAGE } from "./bench-options.js";
import { runBench } from "./bench-runner.js";
import { caScenario } from "./ca-scenario.js";
import { note } from "./log.js";
import { renderMarkdown } from "./report/markdown.js";
import type { BenchReport } from "./report/results.js";
import { renderLatencySvg } from "./report/svg-chart.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Component benchmarks that need no cluster: `npm run bench -- ca|xds|dataplane|waypoint|relay-floor [their flags]`
 * (CA issuance rate and time to 100 certificates; xDS full push / one-change fan-out / RSS at
 * 10k workloads; the ztunnel data path on loopback; the waypoint data path on loopback). Each is its own script so it can be run alone.
 */
const SUITES: Record<string, string> = {
  ca: "ca.bench.ts",
  xds: "xds.bench.ts",
  dataplane: "ztunnel-dataplane.bench.ts",
  waypoint: "waypoint-dataplane.bench.ts",
  "relay-floor": "relay-floor.bench.ts",
};

function runSuite(script: string, args: string[]): number {
  const res = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(repoRoot, "bench", script), ...args],
    { stdio: "inherit" },
  );
  return res.status ?? 1;
}

async function main(): Promise<number> {
  const [first, ...rest] = process.argv.slice(2);
  const suite = first !== undefined ? SUITES[first] : undefined;
  if (suite !== undefined) return runSuite(suite, rest);
  const opts = parseBenchOptions(process.argv.slice(2), join(repoRoot, "bench", "results"));
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cluster = await runBench(opts, repoRoot);
  const ca = caScenario(opts, repoRoot);
  const report: BenchReport = {
    ...cluster,
    ca,
    elapsedS: (Date.now() - Date.parse(cluster.startedAt)) / 1000,
  };
  mkdirSync(opts.outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const base = join(opts.outDir, `bench-${report.mode}-${stamp}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.svg`, renderLatencySvg(report));
  writeFileSync(join(opts.outDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(opts.outDir, "latest.svg"), renderLatencySvg(report));
  process.stdout.write(renderMarkdown(report));
  note(
    `wrote ${base}.json and ${base}.svg (also latest.json / latest.svg) in ${report.elapsedS.toFixed(0)} s`,
  );
  return report.paths.some((p) => p.status === "failed") || ca.status === "failed" ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
