import { execFileSync } from "node:child_process";

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
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
