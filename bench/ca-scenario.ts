/**
 * The CA scenario of `npm run bench` (issue 3: "certificates issued per second by the CA; time
 * until 100 identities on one node hold certificates. Put both in `npm run bench`"). Full runs
 * with every path measure it after the cluster paths; quick runs leave it out to stay under
 * 2 minutes and say so, in the log and in the report.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BenchOptions } from "./bench-options.js";
import { note } from "./log.js";
import type { CaBenchResult, CaSection } from "./report/results.js";

/**
 * The CA scenario of a full run: the `ca` suite in its own process, its JSON read back. Its
 * output (one CA log line per certificate, ~2000 lines) is kept out of the bench's own output and
 * shown only when it fails. Never throws: a failure is reported in the section, not fatal.
 */
export function runCaScenario(repoRoot: string, outDir: string, args: readonly string[] = []): CaSection {
  const started = Date.now();
  const json = join(outDir, `.ca-bench-${process.pid}.json`);
  note("CA scenario: certificates issued per second, time until 100 identities hold certificates");
  const res = spawnSync(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      join(repoRoot, "bench", "ca.bench.ts"),
      "--json",
      json,
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"], timeout: 180_000, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
  );
  try {
    if (res.status !== 0) {
      const output = `${res.stdout ?? ""}${res.stderr ?? ""}`.trimEnd();
      process.stderr.write(`${output.slice(-4000)}\n`);
      const lines = output.split("\n");
      const last = lines.find((l) => /failed|error/i.test(l)) ?? lines.at(-1) ?? "";
      const why = res.error?.message ?? `exit ${res.status ?? res.signal}`;
      return { status: "failed", reason: `bench/ca.bench.ts: ${why}: ${last}` };
    }
    const result = JSON.parse(readFileSync(json, "utf8")) as CaBenchResult;
    note(
      `CA scenario: ${result.certsPerSecond} certificates/s, ${result.identities} identities held after ${result.timeUntilAllHeldMs} ms`,
    );
    return { status: "ok", result, elapsedS: (Date.now() - started) / 1000 };
  } catch (e) {
    return { status: "failed", reason: `bench/ca.bench.ts: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    rmSync(json, { force: true });
  }
}

/** Full runs with every path measure the CA too; quick runs and `--paths` subsets say why not. */
export function caScenario(opts: BenchOptions, repoRoot: string): CaSection {
  if (opts.quick) {
    const reason =
      "--quick leaves the CA scenario out (it keeps quick under 2 min); run `npm run bench -- ca` or a full run";
    note(reason);
    return { status: "skipped", reason };
  }
  if (opts.paths !== undefined) {
    const reason = "--paths measures only the named paths; run `npm run bench -- ca` for the CA";
    note(reason);
    return { status: "skipped", reason };
  }
  mkdirSync(opts.outDir, { recursive: true });
  return runCaScenario(repoRoot, opts.outDir);
}
