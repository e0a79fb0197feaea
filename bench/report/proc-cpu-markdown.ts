import type { PathSummary } from "./results.js";

const fmtNum = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : "—");

/** Process labels of a path with CPU figures, in first-seen order (the path's `procs` order). */
export function procLabels(s: PathSummary): string[] {
  const all = [...s.rates.map((r) => r.cpuPer1kByProc), s.maxRpsCpuPer1kByProc];
  return [...new Set(all.flatMap((x) => Object.keys(x)))];
}

/**
 * vCPU per 1000 rps of each process of every path that has more than one, at each rate and at max
 * rps: the main table sums a node's processes, which hides, e.g., the waypoint next to ztunnel B
 * on `ambit-waypoint` (issue 8 sets a goal for the waypoint alone). Empty when no path qualifies.
 */
export function renderProcCpuMarkdown(
  paths: readonly { readonly name: string; readonly summary: PathSummary }[],
  rates: readonly number[],
): string[] {
  const cols = [...rates.map((x) => `@${x}`), "@max"].join(" / ");
  const rows: string[] = [];
  for (const p of paths) {
    const s = p.summary;
    const labels = procLabels(s);
    if (labels.length < 2) continue;
    for (const label of labels) {
      const cells = [
        ...rates.map((x) => s.rates.find((r) => r.rate === x)?.cpuPer1kByProc[label] ?? Number.NaN),
        s.maxRpsCpuPer1kByProc[label] ?? Number.NaN,
      ];
      rows.push(`| **${p.name}** | ${label} | ${cells.map((c) => fmtNum(c, 3)).join(" / ")} |`);
    }
  }
  if (rows.length === 0) return [];
  return [
    "",
    `### vCPU per 1000 rps by process (${cols})`,
    "",
    "Each process group's own CPU seconds per 1000 requests (forked workers included), the median " +
      "over repetitions of each figure on its own, so a path's rows add up to about its vCPU column.",
    "",
    `| path | process | ${cols} |`,
    "| --- | --- | --- |",
    ...rows,
  ];
}
