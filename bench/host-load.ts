import { readFileSync } from "node:fs";
import { sleep } from "./procs.js";

/** Aggregate CPU counters of /proc/stat's first line, in clock ticks. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Parses the `cpu ` line: busy = everything but idle and iowait (steal counts as busy: we lost it). */
export function parseCpuLine(procStat: string): CpuTimes {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) throw new Error("no aggregate cpu line in /proc/stat");
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Share of the machine (0..100 %) busy over `ms` while the bench itself is idle: the load of the
 * other users of a shared box. A high value means this run's numbers are not comparable.
 */
export async function sampleBackgroundCpuPct(ms = 300): Promise<number> {
  const a = parseCpuLine(readFileSync("/proc/stat", "utf8"));
  await sleep(ms);
  const b = parseCpuLine(readFileSync("/proc/stat", "utf8"));
  const total = b.total - a.total;
  return total > 0 ? (100 * (b.busy - a.busy)) / total : Number.NaN;
}
