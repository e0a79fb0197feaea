import { type BenchReport, type PathSummary, PCT_KEYS } from "./results.js";

const COLORS = ["#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];
const W = 960;
const H = 440;
const PANEL_TOP = 60;
const PANEL_H = 300;
const MARGIN_L = 70;
const GAP = 60;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** 1-2-5 ticks covering [lo, hi] on a log axis. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function tickLabel(v: number): string {
  return v >= 1 ? String(v) : v.toPrecision(1);
}

/**
 * Latency percentiles per path, one panel per fixed rate, log-scale milliseconds. Hand-written SVG
 * (no dependencies) so the bench runs offline and the file diffs as text.
 */
export function renderLatencySvg(r: BenchReport): string {
  const ok = r.paths.filter(
    (p): p is (typeof r.paths)[number] & { summary: PathSummary } =>
      p.status === "ok" && p.summary !== undefined,
  );
  const rates = [...new Set(ok.flatMap((p) => p.summary.rates.map((x) => x.rate)))].sort((a, b) => a - b);
  const vals = ok
    .flatMap((p) => p.summary.rates.flatMap((x) => PCT_KEYS.map((k) => x.latencyMs[k])))
    .filter((v) => Number.isFinite(v) && v > 0);
  const lo = vals.length === 0 ? 0.1 : 10 ** Math.floor(Math.log10(Math.min(...vals)));
  const hi = vals.length === 0 ? 10 : 10 ** Math.ceil(Math.log10(Math.max(...vals)));
  const panels = Math.max(1, rates.length);
  const panelW = (W - MARGIN_L - 20 - GAP * (panels - 1)) / panels;
  const y = (v: number): number =>
    PANEL_TOP + PANEL_H - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(`Latency percentiles per path (ms, log scale) — ${r.mode}, medians of ${r.reps}`)}</text>`,
  ];
  rates.forEach((rate, pi) => {
    const x0 = MARGIN_L + pi * (panelW + GAP);
    const x = (i: number): number => x0 + ((i + 0.5) / PCT_KEYS.length) * panelW;
    parts.push(
      `<text x="${x0 + panelW / 2}" y="${PANEL_TOP - 12}" text-anchor="middle" font-size="13">${rate} rps, 1 KiB, 4 connections</text>`,
    );
    parts.push(
      `<rect x="${x0}" y="${PANEL_TOP}" width="${panelW}" height="${PANEL_H}" fill="none" stroke="#999"/>`,
    );
    for (const t of logTicks(lo, hi)) {
      const ty = y(t).toFixed(1);
      parts.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${ty}" y2="${ty}" stroke="#e5e5e5"/>`);
      parts.push(
        `<text x="${x0 - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle" fill="#555">${tickLabel(t)}</text>`,
      );
    }
    PCT_KEYS.forEach((k, i) => {
      parts.push(
        `<text x="${x(i).toFixed(1)}" y="${PANEL_TOP + PANEL_H + 18}" text-anchor="middle">${k}</text>`,
      );
    });
    ok.forEach((p, ci) => {
      const rs = p.summary.rates.find((z) => z.rate === rate);
      if (rs === undefined) return;
      const color = COLORS[ci % COLORS.length]!;
      const pts = PCT_KEYS.map((k, i) => [x(i), rs.latencyMs[k]] as const).filter(
        ([, v]) => Number.isFinite(v) && v > 0,
      );
      const d = pts
        .map(([px, v], i) => `${i === 0 ? "M" : "L"}${px.toFixed(1)},${y(v).toFixed(1)}`)
        .join(" ");
      // Dashed = saturated at this rate: the line then shows queueing, not path latency.
      const saturated = rs.achievedRps < 0.9 * rs.rate || rs.unsent > 0;
      const dash = saturated ? ' stroke-dasharray="6 4"' : "";
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      for (const [px, v] of pts) {
        parts.push(
          `<circle cx="${px.toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${p.name} ${v.toFixed(3)} ms`)}</title></circle>`,
        );
      }
    });
  });
  const legendY = PANEL_TOP + PANEL_H + 44;
  ok.forEach((p, ci) => {
    const lx = MARGIN_L + ci * 160;
    const color = COLORS[ci % COLORS.length]!;
    parts.push(`<rect x="${lx}" y="${legendY - 9}" width="14" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 20}" y="${legendY}">${esc(p.name)}</text>`);
  });
  parts.push(
    `<text x="${W - 20}" y="${legendY}" text-anchor="end" fill="#555">dashed: path saturated at that rate</text>`,
  );
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
