import { readdirSync } from "node:fs";
import { createLogger } from "@ambit/core";
import { run } from "./exec.js";
import { listStatePrefixes, ownerAlive, RUN_PREFIX_RE, readState, removeState } from "./run-state.js";

const log = createLogger("testing.netns");

/**
 * Deletes namespaces, host links and state files of runs whose owner process is dead (or that have
 * no state file, which the harness always writes before creating anything). Live runs are untouched,
 * so parallel test processes do not remove each other's namespaces. Returns what it removed.
 */
export async function removeStale(): Promise<string[]> {
  const removed: string[] = [];
  const alive = (prefix: string): boolean => {
    const s = readState(prefix);
    return s !== undefined && ownerAlive(s);
  };
  let nsNames: string[] = [];
  try {
    nsNames = readdirSync("/var/run/netns");
  } catch {
    // no namespaces at all
  }
  for (const ns of nsNames) {
    const m = RUN_PREFIX_RE.exec(ns);
    if (m?.[1] === undefined || alive(m[1])) continue;
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
    removed.push(ns);
  }
  const { stdout } = await run("ip", ["-o", "link", "show"]);
  for (const line of stdout.split("\n")) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    const m = name === undefined ? null : RUN_PREFIX_RE.exec(name);
    if (name === undefined || m?.[1] === undefined || alive(m[1])) continue;
    await run("ip", ["link", "del", name]).catch(() => undefined);
    removed.push(name);
  }
  for (const prefix of listStatePrefixes()) {
    if (!alive(prefix)) removeState(prefix);
  }
  if (removed.length > 0) log.info("removed stale test namespaces/links", { removed });
  return removed;
}
