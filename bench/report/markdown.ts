import { renderCaMarkdown } from "./ca-markdown.js";
import { renderProcCpuMarkdown } from "./proc-cpu-markdown.js";
import {
  type BenchReport,
  type PathResult,
  type PathSummary,
  PCT_KEYS,
  type RateSummary,
} from "./results.js";

/** Milliseconds with 3 significant digits (0.191, 12.3, 608); "—" for missing. */
export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (x >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}

export function fmtNum(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}

/** `a ÷ b` as "1.23×"; "—" when either side is missing or zero. */
export function fmtRatio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function signedMs(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return `${x >= 0 ? "+" : "−"}${fmtMs(Math.abs(x))}`;
}

function rateOf(s: PathSummary, rate: number): RateSummary | undefined {
  return s.rates.find((r) => r.rate === rate);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(head), row(head.map(() => "---")), ...rows.map(row)];
}

/** A metric the path-vs-path matrices compare. */
interface Metric {
  readonly title: string;
  readonly get: (s: PathSummary) => number;
}

/**
 * The markdown report: absolute medians, then ratios to the baseline, then row ÷ column matrices so
 * every path can be read against every peer. Skipped and failed paths are listed with their reason.
 */
export function renderMarkdown(r: BenchReport): string {
  const ok = r.paths.filter(
    (p): p is PathResult & { summary: PathSummary } => p.status === "ok" && p.summary !== undefined,
  );
  const rates = [...new Set(ok.flatMap((p) => p.summary.rates.map((x) => x.rate)))].sort((a, b) => a - b);
  const maxTool = typeof r.plan["maxRpsConns"] === "number" ? `-c${r.plan["maxRpsConns"]}` : "";
  const out: string[] = [];
  out.push(
    `## ambit bench — ${r.mode}, ${r.reps} repetitions (medians), ${r.startedAt.slice(0, 16)}Z`,
    "",
    `Host: ${r.host.cpus} CPUs, Linux ${r.host.kernel}, Node ${r.host.node}, load average at start ${r.host.loadavg.map((x) => x.toFixed(2)).join(" / ")}. ` +
      "Topology: client pod → node A → bridge → node B → server pod (network namespaces). " +
      "Latency: open-loop fixed rate, 1 KiB HTTP/1.1 responses, 4 keep-alive connections, corrected for coordinated omission. " +
      "vCPU per 1000 rps = CPU seconds of all the path's proxy processes (both nodes) per 1000 requests. " +
      "Host busy % = share of both cores used by other work while the bench was idle (shared machine): above ~25 % numbers are depressed.",
    "",
  );
  const pctHead = PCT_KEYS.join(" / ");
  out.push(
    ...table(
      [
        "path",
        "iperf3 1 stream Gbit/s",
        ...rates.map((x) => `${pctHead} ms @${x} rps`),
        `max rps (${maxTool})`,
        "new conn/s",
        `vCPU per 1000 rps ${rates.map((x) => `@${x}`).join(" / ")} / @max`,
        "peak RSS MiB A+B",
        "errors",
        "host busy % before / after",
      ],
      ok.map((p) => {
        const s = p.summary;
        const cpu = [...rates.map((x) => rateOf(s, x)?.cpuPer1k.total ?? Number.NaN), s.maxRpsCpuPer1k.total];
        const noProcs = s.procs.length === 0;
        return [
          `**${p.name}**`,
          fmtNum(s.throughputGbps, 2),
          ...rates.map((x) => {
            const rs = rateOf(s, x);
            if (rs === undefined) return "—";
            const saturated = rs.achievedRps < 0.9 * rs.rate || rs.unsent > 0;
            const sat = saturated ? ` (saturated: ${fmtNum(rs.achievedRps)} rps)` : "";
            return PCT_KEYS.map((k) => fmtMs(rs.latencyMs[k])).join(" / ") + sat;
          }),
          fmtNum(s.maxRps),
          fmtNum(s.connPerS),
          noProcs ? "—" : cpu.map((c) => fmtNum(c, 3)).join(" / "),
          noProcs ? "—" : `${fmtNum(s.rssMiB.nodeA, 1)} + ${fmtNum(s.rssMiB.nodeB, 1)}`,
          String(s.errors),
          `${fmtNum(p.backgroundCpuPct.before)} / ${fmtNum(p.backgroundCpuPct.after)}`,
        ];
      }),
    ),
  );
  out.push(...renderProcCpuMarkdown(ok, rates));
  const baseline = ok.find((p) => p.kind === "baseline");
  if (baseline !== undefined && ok.length > 1) {
    const b = baseline.summary;
    out.push("", `### Against the baseline (${baseline.name})`, "");
    out.push(
      ...table(
        ["path", "throughput", ...rates.map((x) => `added p50 / p99 ms @${x}`), "max rps", "new conn/s"],
        ok
          .filter((p) => p !== baseline)
          .map((p) => {
            const s = p.summary;
            return [
              `**${p.name}**`,
              fmtRatio(s.throughputGbps, b.throughputGbps),
              ...rates.map((x) => {
                const l = rateOf(s, x)?.latencyMs;
                const lb = rateOf(b, x)?.latencyMs;
                if (l === undefined || lb === undefined) return "—";
                return `${signedMs(l.p50 - lb.p50)} / ${signedMs(l.p99 - lb.p99)}`;
              }),
              fmtRatio(s.maxRps, b.maxRps),
              fmtRatio(s.connPerS, b.connPerS),
            ];
          }),
      ),
    );
  }
  if (ok.length > 2) {
    const metrics: Metric[] = [
      { title: "iperf3 throughput (higher is better)", get: (s) => s.throughputGbps },
      ...rates.map((x) => ({
        title: `p99 latency @${x} rps (lower is better)`,
        get: (s: PathSummary) => rateOf(s, x)?.latencyMs.p99 ?? Number.NaN,
      })),
      { title: "max rps (higher is better)", get: (s) => s.maxRps },
      { title: "new connections/s (higher is better)", get: (s) => s.connPerS },
      ...rates.slice(-1).map((x) => ({
        title: `vCPU per 1000 rps @${x} (lower is better)`,
        get: (s: PathSummary) => rateOf(s, x)?.cpuPer1k.total ?? Number.NaN,
      })),
    ];
    out.push("", "### Path against path (row ÷ column)", "");
    for (const m of metrics) {
      out.push(`**${m.title}**`, "");
      out.push(
        ...table(
          ["", ...ok.map((p) => p.name)],
          ok.map((rp) => [
            `**${rp.name}**`,
            ...ok.map((cp) => (rp === cp ? "1" : fmtRatio(m.get(rp.summary), m.get(cp.summary)))),
          ]),
        ),
        "",
      );
    }
  }
  const partial = ok.filter((p) => (p.failedReps?.length ?? 0) > 0);
  if (partial.length > 0) {
    out.push("", "### Failed repetitions (medians are over the others)", "");
    for (const p of partial)
      for (const f of p.failedReps ?? []) out.push(`- **${p.name}** ${f.split("\n")[0]}`);
  }
  const notRun = r.paths.filter((p) => p.status !== "ok");
  if (notRun.length > 0) {
    out.push("", "### Not measured", "");
    for (const p of notRun)
      out.push(`- **${p.name}** ${p.status.toUpperCase()}: ${(p.reason ?? "").split("\n")[0]}`);
  }
  out.push(...renderCaMarkdown(r.ca));
  out.push("", ...ok.map((p) => `- **${p.name}**: ${p.description}`), "");
  return `${out.join("\n")}\n`;
}
