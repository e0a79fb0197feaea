import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** The repository root: ambit mains are started from their sources relative to it. */
export const REPO_ROOT = new URL("../../..", import.meta.url).pathname;

/** An ambit main running as a child process, with its stderr (the JSON log) collected. */
export interface MainProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  log: string;
}

/**
 * Starts `main` (a path relative to the repo root, e.g. `packages/control-plane/src/main.ts`)
 * from its sources, as the real binary would run: own process, flags only, stderr captured.
 * Process tests use it so apps meet only over the wire, never by import.
 */
export function startMain(main: string, args: readonly string[]): MainProcess {
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(REPO_ROOT, main), ...args],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  const p: MainProcess = { child, log: "" };
  child.stderr?.on("data", (b: Buffer) => {
    p.log += b.toString();
  });
  return p;
}

/** The first JSON log line containing `msg`, parsed; `undefined` while there is none. */
export function logLine(p: MainProcess, msg: string): Record<string, unknown> | undefined {
  for (const l of p.log.split("\n")) {
    if (!l.includes(msg)) continue;
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

/** Sends SIGTERM and resolves with the exit code (mains drain and exit 0 on SIGTERM). */
export async function stopMain(p: MainProcess): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((r) => p.child.once("exit", (c) => r(c)));
  p.child.kill("SIGTERM");
  return exited;
}

/** SIGKILLs every still-running process given (for `after` hooks: a failed test must not leak them). */
export function killMains(...ps: readonly (MainProcess | undefined)[]): void {
  for (const p of ps) if (p && p.child.exitCode === null) p.child.kill("SIGKILL");
}
