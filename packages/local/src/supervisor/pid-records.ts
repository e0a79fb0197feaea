import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readJson, writeAtomic } from "../fs-atomic.js";

/** One supervised process on disk: enough to find and end it after the supervisor died. */
export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  /** Kernel start time (field 22 of /proc/<pid>/stat): guards against pid reuse. */
  readonly startTime: string;
  readonly argv: readonly string[];
  readonly netns?: string;
}

/** Kernel start time of a process, or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs (same pid and same start time). */
export function recordAlive(r: Pick<PidRecord, "pid" | "startTime">): boolean {
  return processStartTime(r.pid) === r.startTime;
}

export function pidFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`;
}

export function writePidRecord(dir: string, r: PidRecord): void {
  writeAtomic(join(dir, pidFileName(r.name)), JSON.stringify(r));
}

export function removePidRecord(dir: string, name: string): void {
  rmSync(join(dir, pidFileName(name)), { force: true });
}

export function listPidRecords(dir: string): PidRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    if (!f.endsWith(".json")) return [];
    const r = readJson<PidRecord>(join(dir, f));
    return r === undefined ? [] : [r];
  });
}
