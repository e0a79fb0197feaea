import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { NetnsError } from "./netns-error.js";

/** Output of a finished command. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without a shell (arguments are never re-parsed) and rejects with a
 * `command_failed` NetnsError quoting the command line and its stderr, so a failed `ip` call
 * explains itself in the test output.
 */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim() || err.message;
          reject(new NetnsError("command_failed", `${cmd} ${args.join(" ")}: ${detail}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Synchronous variant for the process-exit path only (no event loop is left to await on). */
export function runSyncQuiet(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, [...args], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs `args` inside the named namespace (`ip netns exec`), rejecting with stderr on failure. */
export function runInNetns(
  ns: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new NetnsError("invalid_name", "runInNetns: empty command");
  return run("ip", ["netns", "exec", ns, cmd, ...rest], opts);
}

/**
 * Starts a long-running process inside a namespace. `ip netns exec` execs the command in place,
 * so the returned child's pid is the command's own pid (killing it kills the command).
 */
export function spawnInNetns(ns: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new NetnsError("invalid_name", "spawnInNetns: empty command");
  return spawn("ip", ["netns", "exec", ns, cmd, ...rest], { stdio: "pipe", ...opts });
}
