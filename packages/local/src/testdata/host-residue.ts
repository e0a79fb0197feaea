import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { pidAlive, waitFor } from "@ambit/testing";

/**
 * Test support for the "up/down leaves no residue" checks of local mode (runtime, CLI and demo
 * tests share it). Everything here only reads the host: netns bind mounts, /etc/netns, the host
 * netns' links and nft tables, and /proc.
 */

export function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What a cluster with this prefix may leave on the host; every list is sorted for deepEqual. */
export interface HostView {
  /** Named namespaces (/var/run/netns) of this cluster. */
  readonly netns: readonly string[];
  /** Per-netns /etc/netns directories (pod hosts/resolv.conf) of this cluster. */
  readonly etc: readonly string[];
  /** Every link name in the host netns (the cluster must never add one). */
  readonly links: readonly string[];
  /** Every nft table in the host netns (`family name` lines). */
  readonly nft: readonly string[];
}

const lines = (cmd: string, args: string[]): string[] =>
  execFileSync(cmd, args, { encoding: "utf8" })
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** Host links as names (`ip -o link`), without the `@peer` suffix. */
export function hostLinks(): string[] {
  return lines("ip", ["-o", "link", "show"])
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .sort();
}

export function hostView(prefix: string): HostView {
  return {
    netns: readdirSafe("/var/run/netns")
      .filter((n) => n.startsWith(prefix))
      .sort(),
    etc: readdirSafe("/etc/netns")
      .filter((n) => n.startsWith(prefix))
      .sort(),
    links: hostLinks(),
    nft: lines("nft", ["list", "tables"]).sort(),
  };
}

/** `net:[inode]` of every named netns of the cluster, as /proc/<pid>/ns/net shows them. */
export function clusterNetnsInodes(prefix: string): Set<string> {
  const out = new Set<string>();
  for (const n of readdirSafe("/var/run/netns")) {
    if (!n.startsWith(prefix)) continue;
    try {
      out.add(`net:[${statSync(`/var/run/netns/${n}`).ino}]`);
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/**
 * Pids of every process whose netns is one of `inodes`. Keep the inodes from before `down`: a
 * process left in a namespace keeps it alive after its name is gone, and this still finds it.
 */
export function processesInNetns(inodes: ReadonlySet<string>): number[] {
  const pids: number[] = [];
  for (const p of readdirSafe("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${p}/ns/net`))) pids.push(Number(p));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return pids;
}

/** Pids of every process running in a named netns of this cluster. */
export function processesInCluster(prefix: string): number[] {
  return processesInNetns(clusterNetnsInodes(prefix));
}

/**
 * Asserts every pid in `pids` is gone, giving each up to 5 s: a process may still be finishing its
 * exit the instant `down` returns (it has left its namespaces, its reaping is pending).
 */
export async function assertProcessesGone(pids: readonly number[]): Promise<void> {
  await waitFor("every cluster process gone", async () => (pids.some(pidAlive) ? undefined : true), {
    timeoutMs: 5000,
    intervalMs: 50,
  }).catch(() => undefined);
  for (const pid of pids) assert.ok(!pidAlive(pid), `process ${pid} survived down`);
}
