import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Whether a process with this pid is still running (signal 0 probes without signalling). A zombie
 * counts as gone: it has exited and left its namespaces; only its reaping is pending, and who
 * reaps an orphan (PID 1 of the machine or container) differs between machines.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Runs a short node script (`node -e script ...args`) inside a network namespace and returns its
 * trimmed stdout: how namespaced tests act as a pod (its hosts/resolv.conf apply).
 */
export function nodeInNetns(
  netns: string,
  script: string,
  args: readonly string[] = [],
  timeoutMs = 10_000,
): string {
  return execFileSync("ip", ["netns", "exec", netns, process.execPath, "-e", script, ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
  }).trim();
}
