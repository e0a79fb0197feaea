import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where each harness run records what it created, so a later run can remove leftovers of a dead one. */
export const STATE_DIR = "/run/ambit-test";

/** Every harness name starts with this family prefix; a run adds 4 hex digits and a dash. */
export const FAMILY_PREFIX = "amb-";

/** Matches a run prefix (`amb-1f0c-`) at the start of a namespace or link name. */
export const RUN_PREFIX_RE = /^(amb-[0-9a-f]{4}-)/;

/** The on-disk record of one run: the owner (pid + start time, against pid reuse) and its objects. */
export interface RunState {
  readonly prefix: string;
  readonly pid: number;
  readonly startTime: string;
  namespaces: string[];
  links: string[];
}

/** Kernel start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True when the process that wrote `s` still runs (same pid AND same start time). */
export function ownerAlive(s: Pick<RunState, "pid" | "startTime">): boolean {
  return processStartTime(s.pid) === s.startTime;
}

export function statePath(prefix: string): string {
  return join(STATE_DIR, `${prefix.replace(/-$/, "")}.json`);
}

/** Writes atomically (temp + rename) so a crash never leaves a half-written record. */
export function writeState(s: RunState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  const p = statePath(s.prefix);
  writeFileSync(p + ".tmp", JSON.stringify(s));
  renameSync(p + ".tmp", p);
}

export function readState(prefix: string): RunState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(prefix), "utf8")) as RunState;
  } catch {
    return undefined;
  }
}

export function removeState(prefix: string): void {
  rmSync(statePath(prefix), { force: true });
}

/** Run prefixes that have a state file. */
export function listStatePrefixes(): string[] {
  if (!existsSync(STATE_DIR)) return [];
  return readdirSync(STATE_DIR)
    .filter((f) => /^amb-[0-9a-f]{4}\.json$/.test(f))
    .map((f) => f.replace(/\.json$/, "-"));
}
