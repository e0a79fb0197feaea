import type { ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { createLogger, errorMessage } from "@ambit/core";
import { spawnInNetns } from "../exec/run.js";
import { processStartTime, removePidRecord, writePidRecord } from "./pid-records.js";

const log = createLogger("local.supervisor");

/** Restart delays: `initialMs × factor^(failures-1)`, capped at `maxMs`; a run of `resetAfterMs` forgives. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 10_000,
};

/** What to run and how. */
export interface ProcessSpec {
  /** Unique name: `control-plane`, `ztunnel-node-1`, `pod:default/sleep-1/sleep`. */
  readonly name: string;
  readonly argv: readonly string[];
  /** Run inside this named netns (`ip netns exec`); undefined = the supervisor's netns. */
  readonly netns?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** stdout and stderr are appended here (the fd is handed over, so logs survive the supervisor). */
  readonly logFile: string;
  readonly restart: "always" | "never";
  readonly backoff?: BackoffPolicy;
}

/** Lifecycle of one supervised process (tagged union; `status()` reports the tag). */
export type ProcessState =
  | { readonly t: "running"; readonly pid: number; readonly since: number }
  | { readonly t: "backoff"; readonly until: number }
  | { readonly t: "exited"; readonly code: number | null; readonly signal: string | null }
  | { readonly t: "stopped" };

export interface ProcessStatus {
  readonly name: string;
  readonly state: ProcessState["t"];
  readonly pid?: number;
  readonly restarts: number;
  readonly lastExit?: string;
  readonly netns?: string;
}

interface Entry {
  spec: ProcessSpec;
  state: ProcessState;
  child: ChildProcess | undefined;
  restarts: number;
  failures: number;
  lastExit: string | undefined;
  timer: NodeJS.Timeout | undefined;
  stopping: Promise<void> | undefined;
}

/**
 * Runs processes and keeps them running: restarts with exponential backoff, appends their output to
 * log files, and records each pid (+ start time) under `pidsDir` so that a later `down` can end
 * them even when this supervisor was killed. Each child leads its own process group; stopping
 * sends SIGTERM to the group, then SIGKILL after the grace period.
 */
export class Supervisor {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly pidsDir: string,
    private readonly onEvent: (name: string, event: string) => void = () => undefined,
  ) {
    mkdirSync(pidsDir, { recursive: true });
  }

  /** Starts `spec` unless a process of that name is already supervised (then it is left alone). */
  ensure(spec: ProcessSpec): void {
    if (this.entries.has(spec.name)) return;
    const e: Entry = {
      spec,
      state: { t: "stopped" },
      child: undefined,
      restarts: 0,
      failures: 0,
      lastExit: undefined,
      timer: undefined,
      stopping: undefined,
    };
    this.entries.set(spec.name, e);
    this.launch(e);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  status(): ProcessStatus[] {
    return [...this.entries.values()].map((e) => ({
      name: e.spec.name,
      state: e.state.t,
      restarts: e.restarts,
      ...(e.state.t === "running" ? { pid: e.state.pid } : {}),
      ...(e.lastExit !== undefined ? { lastExit: e.lastExit } : {}),
      ...(e.spec.netns !== undefined ? { netns: e.spec.netns } : {}),
    }));
  }

  /** Stops one process (and its group) and forgets it. Idempotent. */
  stop(name: string, graceMs = 3000): Promise<void> {
    const e = this.entries.get(name);
    if (e === undefined) return Promise.resolve();
    if (e.stopping !== undefined) return e.stopping;
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.stopping = this.terminate(e, graceMs).then(() => {
      this.entries.delete(name);
      removePidRecord(this.pidsDir, name);
    });
    return e.stopping;
  }

  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all(this.names().map((n) => this.stop(n, graceMs)));
  }

  private async terminate(e: Entry, graceMs: number): Promise<void> {
    const child = e.child;
    if (e.state.t !== "running" || child === undefined) {
      e.state = { t: "stopped" };
      return;
    }
    const pid = e.state.pid;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    signalGroup(pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
    signalGroup(pid, "SIGKILL"); // leftovers of the group (e.g. children of a shell)
    e.state = { t: "stopped" };
  }

  private launch(e: Entry): void {
    const { spec } = e;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    appendFileSync(
      spec.logFile,
      `--- ${new Date().toISOString()} ambit: starting ${spec.name}: ${spec.argv.join(" ")}\n`,
    );
    const fd = openSync(spec.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawnInNetns(spec.netns, spec.argv, {
        stdio: ["ignore", fd, fd],
        env: { ...spec.env },
        ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      });
    } catch (err) {
      closeSync(fd);
      this.onExit(e, null, null, errorMessage(err));
      return;
    }
    closeSync(fd);
    const pid = child.pid;
    if (pid === undefined) {
      child.once("error", (err) => this.onExit(e, null, null, errorMessage(err)));
      return;
    }
    const since = Date.now();
    e.child = child;
    e.state = { t: "running", pid, since };
    writePidRecord(this.pidsDir, {
      name: spec.name,
      pid,
      startTime: processStartTime(pid) ?? "unknown",
      argv: spec.argv,
      ...(spec.netns !== undefined ? { netns: spec.netns } : {}),
    });
    child.once("error", (err) => log.warn("process error", { name: spec.name, err }));
    child.once("exit", (code, signal) => {
      if (e.stopping !== undefined) return;
      if (Date.now() - since >= (spec.backoff ?? DEFAULT_BACKOFF).resetAfterMs) e.failures = 0;
      this.onExit(e, code, signal, undefined);
    });
    this.onEvent(spec.name, `started pid ${pid}`);
  }

  private onExit(e: Entry, code: number | null, signal: string | null, error: string | undefined): void {
    const { spec } = e;
    e.child = undefined;
    const how = error ?? (signal !== null ? `signal ${signal}` : `exit code ${code}`);
    e.lastExit = how;
    removePidRecord(this.pidsDir, spec.name);
    appendFileSync(spec.logFile, `--- ${new Date().toISOString()} ambit: ${spec.name} ended (${how})\n`);
    if (spec.restart === "never" || e.stopping !== undefined) {
      e.state = { t: "exited", code, signal };
      this.onEvent(spec.name, `ended (${how})`);
      return;
    }
    const b = spec.backoff ?? DEFAULT_BACKOFF;
    e.failures++;
    const delay = Math.min(b.maxMs, b.initialMs * b.factor ** (e.failures - 1));
    e.state = { t: "backoff", until: Date.now() + delay };
    this.onEvent(spec.name, `ended (${how}); restarting in ${delay} ms`);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (e.stopping !== undefined || !this.entries.has(spec.name)) return;
      e.restarts++;
      this.launch(e);
    }, delay);
  }
}

/** Signals a whole process group (the child is its leader); a gone group is not an error. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}
