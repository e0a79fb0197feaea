import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fmtMs, fmtRatio, renderMarkdown } from "./markdown.js";
import { type BenchReport, median, type PathResult, type RepResult, summarise } from "./results.js";
import { logTicks, renderLatencySvg } from "./svg-chart.js";

function rep(
  gbps: number,
  p99: number,
  cpu: number,
  achieved = 1000,
  byProc: Record<string, number> = {},
): RepResult {
  const lat = { p50: p99 / 3, p90: p99 / 2, p99, "p99.9": p99 * 2 };
  const cpuPer1k = { nodeA: cpu / 2, nodeB: cpu / 2, total: cpu };
  return {
    throughputGbps: gbps,
    rates: [
      {
        rate: 1000,
        achievedRps: achieved,
        errors: 0,
        unsent: 0,
        latencyMs: lat,
        latencyFromIntendedMs: lat,
        senderLatenessP99Ms: 0.5,
        cpuPer1k,
        cpuPer1kByProc: byProc,
      },
    ],
    maxRps: 10_000 * gbps,
    maxRpsErrors: 0,
    maxRpsTool: "wrk",
    maxRpsCpuPer1k: cpuPer1k,
    // At max rps each process costs half as much per request (a distinct figure to find).
    maxRpsCpuPer1kByProc: Object.fromEntries(Object.entries(byProc).map(([k, v]) => [k, v / 2])),
    connPerS: 1000 * gbps,
    connErrors: 0,
  };
}

function path(name: string, kind: PathResult["kind"], reps: RepResult[]): PathResult {
  const procs = kind === "baseline" ? [] : [{ label: `${name} A`, side: "node-a", peakRssMiB: 10 }];
  return {
    name,
    kind,
    description: `${name} description`,
    status: "ok",
    reps,
    summary: summarise(reps, { rssMiB: { nodeA: 10, nodeB: 12 }, procs }),
    backgroundCpuPct: { before: 3, after: 4 },
  };
}

function report(paths: PathResult[]): BenchReport {
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    mode: "quick",
    reps: 3,
    host: { cpus: 2, kernel: "6.1", node: "v20", loadavg: [0.5, 0.4, 0.3] },
    plan: { maxRpsConns: 16 },
    paths,
    elapsedS: 60,
  };
}

describe("median / summarise", () => {
  it("takes the middle value, ignoring NaN", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([Number.NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
  });
  it("summarises each metric independently over repetitions", () => {
    const s = summarise([rep(1, 0.3, 0.2), rep(3, 0.1, 0.1), rep(2, 0.2, 0.3)], {
      rssMiB: { nodeA: 1, nodeB: 2 },
      procs: [],
    });
    assert.equal(s.throughputGbps, 2);
    assert.equal(s.rates[0]!.latencyMs.p99, 0.2);
    assert.equal(s.rates[0]!.cpuPer1k.total, 0.2);
    assert.equal(s.connPerS, 2000);
  });
  it("takes per-process CPU medians label by label, over the repetitions that have the label", () => {
    const s = summarise(
      [
        rep(1, 0.3, 0.5, 1000, { "ztunnel (node-a)": 0.1, "waypoint (node B)": 0.3 }),
        rep(1, 0.3, 0.5, 1000, { "ztunnel (node-a)": 0.2, "waypoint (node B)": Number.NaN }),
        rep(1, 0.3, 0.5, 1000, { "ztunnel (node-a)": 0.3, "waypoint (node B)": 0.5, late: 7 }),
      ],
      { rssMiB: { nodeA: 1, nodeB: 2 }, procs: [] },
    );
    assert.deepEqual(s.rates[0]!.cpuPer1kByProc, {
      "ztunnel (node-a)": 0.2,
      "waypoint (node B)": 0.4,
      late: 7,
    });
    assert.deepEqual(Object.keys(s.maxRpsCpuPer1kByProc), ["ztunnel (node-a)", "waypoint (node B)", "late"]);
    assert.equal(s.maxRpsCpuPer1kByProc["ztunnel (node-a)"], 0.1);
    // The per-side figures keep their meaning.
    assert.equal(s.rates[0]!.cpuPer1k.total, 0.5);
    assert.equal(s.rates[0]!.cpuPer1k.nodeB, 0.25);
  });
  it("gives an empty per-process record for a path without proxies", () => {
    const s = summarise([rep(1, 0.3, Number.NaN)], { rssMiB: { nodeA: 0, nodeB: 0 }, procs: [] });
    assert.deepEqual(s.rates[0]!.cpuPer1kByProc, {});
    assert.deepEqual(s.maxRpsCpuPer1kByProc, {});
  });
});

describe("renderMarkdown", () => {
  const r = report([
    path("direct", "baseline", [rep(10, 0.2, Number.NaN)]),
    path("peer-a", "peer", [rep(5, 0.4, 0.15, 1000, { "peer-a (node A)": 0.15 })]),
    path("peer-b", "peer", [
      rep(2, 0.8, 0.3, 600, { "ztunnel (node-a)": 0.1, "ztunnel (node-b)": 0.05, "waypoint (node B)": 0.15 }),
    ]),
    {
      name: "peer-c",
      kind: "peer",
      description: "c",
      status: "skipped",
      reason: "missing socat (Debian package socat)",
      reps: [],
      backgroundCpuPct: { before: 1, after: 1 },
    },
  ]);
  const md = renderMarkdown(r);
  it("has one row per measured path with medians", () => {
    assert.match(md, /\| \*\*direct\*\* \| 10\.00 \| 0\.0667 \/ 0\.100 \/ 0\.200 \/ 0\.400 \|/);
    assert.match(md, /\| \*\*peer-a\*\* \| 5\.00 \|/);
  });
  it("gives ratios and added latency against the baseline", () => {
    assert.match(md, /\| \*\*peer-a\*\* \| 0\.50× \| \+0\.0667 \/ \+0\.200 \| 0\.50× \| 0\.50× \|/);
  });
  it("gives row ÷ column matrices between every pair", () => {
    assert.match(md, /\*\*iperf3 throughput \(higher is better\)\*\*/);
    assert.match(md, /\| \*\*peer-a\*\* \| 0\.50× \| 1 \| 2\.50× \|/);
  });
  it("marks a saturated rate and lists skipped paths with the reason", () => {
    assert.match(md, /saturated: 600 rps/);
    assert.match(md, /- \*\*peer-c\*\* SKIPPED: missing socat \(Debian package socat\)/);
  });
  it("has no CA section when the report has no CA scenario", () => {
    assert.doesNotMatch(md, /### CA/);
  });
  it("shows both CA figures, or why the CA scenario was left out", () => {
    const result = {
      certsIssued: 1000,
      concurrency: 16,
      issueSeconds: 2.5,
      certsPerSecond: 400,
      cpuMsPerCert: 4.123,
      certsPerCpuSecond: 243,
      identities: 100,
      identitiesAvailable: 100,
      timeUntilAllHeldMs: 812,
      allHeldCpuMs: 900,
      loadAverage1m: 1.5,
    };
    const ok = renderMarkdown({ ...r, ca: { status: "ok", result, elapsedS: 6 } });
    assert.match(ok, /### CA \(control plane certificate authority\)/);
    assert.match(
      ok,
      /\| 400 \(1000 over gRPC \+ TLS, 16 concurrent\) \| 4\.12 \| 812 ms \(100\/100 held\) \| 1\.5 \|/,
    );
    assert.match(ok, /time until 100 identities on one node hold certificates/);
    const quick = renderMarkdown({ ...r, ca: { status: "skipped", reason: "--quick leaves it out" } });
    assert.match(quick, /CA scenario SKIPPED: --quick leaves it out/);
  });
  it("lists each process's vCPU per 1000 rps for paths with more than one process", () => {
    const lines = md.split("\n");
    const at = lines.indexOf("### vCPU per 1000 rps by process (@1000 / @max)");
    assert.ok(at > 0, md);
    assert.ok(at < lines.indexOf("### Against the baseline (direct)"), "right under the main table");
    assert.deepEqual(lines.slice(at + 4, at + 9), [
      "| path | process | @1000 / @max |",
      "| --- | --- | --- |",
      "| **peer-b** | ztunnel (node-a) | 0.100 / 0.050 |",
      "| **peer-b** | ztunnel (node-b) | 0.050 / 0.025 |",
      "| **peer-b** | waypoint (node B) | 0.150 / 0.075 |",
    ]);
    assert.equal(lines[at + 9], "", "one-process paths (peer-a) and the baseline get no rows");
    assert.doesNotMatch(md, /\| \*\*peer-a\*\* \| peer-a \(node A\)/);
  });
  it("has no per-process section when no path has more than one process", () => {
    const one = renderMarkdown(
      report([
        path("direct", "baseline", [rep(10, 0.2, Number.NaN)]),
        path("peer-a", "peer", [rep(5, 0.4, 0.15, 1000, { "peer-a (node A)": 0.15 })]),
      ]),
    );
    assert.doesNotMatch(one, /by process/);
  });
  it("shows — for a rate at which a process has no figure", () => {
    const r2 = rep(2, 0.8, 0.3, 1000, { a: 0.1, b: 0.2 });
    const md2 = renderMarkdown(
      report([
        path("direct", "baseline", [rep(10, 0.2, Number.NaN)]),
        path("two", "peer", [{ ...r2, maxRpsCpuPer1kByProc: { a: 0.04 } }]),
      ]),
    );
    assert.match(md2, /\| \*\*two\*\* \| a \| 0\.100 \/ 0\.040 \|/);
    assert.match(md2, /\| \*\*two\*\* \| b \| 0\.200 \/ — \|/);
  });
  it("shows — for the baseline's proxy CPU and memory", () => {
    assert.match(md, /\| \*\*direct\*\* \|[^\n]*\| — \| — \| 0 \| 3 \/ 4 \|/);
  });
});

describe("formatting", () => {
  it("formats milliseconds and ratios", () => {
    assert.equal(fmtMs(0.19149), "0.191");
    assert.equal(fmtMs(12.34), "12.3");
    assert.equal(fmtMs(608.2), "608");
    assert.equal(fmtMs(Number.NaN), "—");
    assert.equal(fmtRatio(1, 4), "0.25×");
    assert.equal(fmtRatio(40, 2), "20.0×");
    assert.equal(fmtRatio(1, 0), "—");
  });
});

describe("renderLatencySvg", () => {
  it("draws one line per path per rate, with a legend, as well-formed SVG", () => {
    const svg = renderLatencySvg(
      report([path("direct", "baseline", [rep(10, 0.2, 0)]), path("peer-a", "peer", [rep(5, 0.4, 0.1)])]),
    );
    assert.ok(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"));
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
    assert.equal((svg.match(/<circle /g) ?? []).length, 8);
    assert.match(svg, />peer-a</);
    assert.match(svg, /1000 rps/);
  });
  it("puts 1-2-5 ticks on the log axis", () => {
    assert.deepEqual(logTicks(0.1, 10), [0.1, 0.2, 0.5, 1, 2, 5, 10]);
  });
});
