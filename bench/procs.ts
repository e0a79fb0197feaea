import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import type { NetnsHarness } from "@ambit/testing";
import { BenchError } from "./bench-error.js";

/** Which side of the tunnel a proxy process belongs to (for RSS per node). */
export type ProcSide = "node-a" | "node-b" | "client-pod" | "server-pod";

/**
 * A process the bench started, as its own process group (spawned detached), so that forked
 * workers (nginx, nghttpx, socat children) are measured and killed with their leader.
 */
export interface ProcGroup {
  /** Leader pid == process-group id. */
  readonly pid: number;
  readonly label: string;
  readonly side: ProcSide;
  /** stdout+stderr of the group, shown when it dies early. */
  readonly logFile: string;
  readonly child: ChildProcess;
}

/** Fields of /proc/<pid>/stat the bench needs; times in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  /** One-letter state (R, S, D, Z, …). */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
}

/** USER_HZ; Linux has used 100 on every mainstream architecture for decades. */
export const CLOCK_TICKS_PER_S = 100;

/** Parses /proc/<pid>/stat text; `comm` may hold spaces and parens, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state); field n is f[n-3].
  const num = (n: number): number => Number(f[n - 3]);
  const state = f[0] ?? "?";
  const out = {
    pid,
    ppid: num(4),
    pgrp: num(5),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
  };
  return Object.values(out).every(Number.isFinite) ? { ...out, state } : undefined;
}

/** Parses `VmHWM:   12345 kB` out of /proc/<pid>/status (KiB), or undefined (kernel threads, gone). */
export function parseVmHwmKiB(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Live members of a process group (leader included; zombies are dead and left out). */
export function groupMembers(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined && s.pgrp === pgid && s.state !== "Z") out.push(s);
  }
  return out;
}

/**
 * CPU seconds a group has used so far: utime+stime of live members plus the reaped children's
 * cutime+cstime, so short-lived forks (socat per connection) are counted once they are waited for.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const s of groupMembers(pgid)) ticks += s.utime + s.stime + s.cutime + s.cstime;
  return ticks / CLOCK_TICKS_PER_S;
}

/** Sum of VmHWM over the group's live members, in MiB (an upper bound of the simultaneous peak). */
export function groupPeakRssMiB(pgid: number): number {
  let kib = 0;
  for (const s of groupMembers(pgid)) {
    try {
      kib += parseVmHwmKiB(readFileSync(`/proc/${s.pid}/status`, "utf8")) ?? 0;
    } catch {
      // exited between the scan and the read
    }
  }
  return kib / 1024;
}

const groups = new Set<number>();
let hooks = false;

function killGroupSync(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

/** Kills every group the bench started (synchronous; for exit and signal paths). */
export function killAllGroupsSync(): void {
  for (const g of groups) killGroupSync(g, "SIGKILL");
  groups.clear();
}

/**
 * Installs exit/signal hooks that kill all bench process groups. Must run BEFORE
 * `NetnsHarness.create()` so these listeners fire first; each removes itself, so the harness's
 * handler still re-raises the signal and the process ends with the right status.
 */
export function installGroupKillHooks(): void {
  if (hooks) return;
  hooks = true;
  process.on("exit", killAllGroupsSync);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const h = (): void => {
      killAllGroupsSync();
      process.removeListener(sig, h);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, h);
  }
}

/** Registers a group started elsewhere (the load generator) for the exit/signal kill hooks. */
export function trackGroup(pgid: number): void {
  groups.add(pgid);
}

/** Starts `args` inside `ns` as a new process group with output to `logFile`. */
export function spawnGroup(
  h: NetnsHarness,
  ns: string,
  args: readonly string[],
  opts: { label: string; side: ProcSide; logFile: string; env?: NodeJS.ProcessEnv },
): ProcGroup {
  const fd = openSync(opts.logFile, "a");
  try {
    const child = h.spawn(ns, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
    if (child.pid === undefined) throw new BenchError("path_setup_failed", `spawn ${args[0]}: no pid`);
    groups.add(child.pid);
    child.on("error", () => undefined);
    return { pid: child.pid, label: opts.label, side: opts.side, logFile: opts.logFile, child };
  } finally {
    closeSync(fd);
  }
}

/** Ends a group: SIGTERM, then SIGKILL after `graceMs` if any member is left. */
export async function stopGroup(g: Pick<ProcGroup, "pid">, graceMs = 1000): Promise<void> {
  killGroupSync(g.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupMembers(g.pid).length > 0) await sleep(25);
  if (groupMembers(g.pid).length > 0) {
    killGroupSync(g.pid, "SIGKILL");
    const hard = Date.now() + 2000;
    while (Date.now() < hard && groupMembers(g.pid).length > 0) await sleep(25);
  }
  groups.delete(g.pid);
}

/** Last lines of a group's log, for error messages. */
export function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits until something listens on `port` inside `ns` (`ss` in the namespace: no probe connection
 * that a proxy could count). Fails early, with the log tail, when the group dies first.
 */
export async function waitForListen(
  h: NetnsHarness,
  ns: string,
  port: number,
  opts: { timeoutMs?: number; group?: ProcGroup } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const g = opts.group;
    if (g !== undefined && (g.child.exitCode !== null || g.child.signalCode !== null)) {
      throw new BenchError("path_setup_failed", `${g.label} exited during start:\n${logTail(g.logFile)}`);
    }
    const { stdout } = await h.exec(ns, ["ss", "-Hltn", `sport = :${port}`]);
    if (stdout.trim() !== "") return;
    if (Date.now() > deadline) {
      const why = g === undefined ? "" : `\n${logTail(g.logFile)}`;
      throw new BenchError("timeout", `nothing listens on port ${port} in ${ns}${why}`);
    }
    await sleep(50);
  }
}
