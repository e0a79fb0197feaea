import { readdirSync, readlinkSync, statSync } from "node:fs";

/** Inode of a named netns (`/var/run/netns/<ns>` is an nsfs bind mount), or undefined. */
export function netnsInode(ns: string): number | undefined {
  try {
    return statSync(`/var/run/netns/${ns}`).ino;
  } catch {
    return undefined;
  }
}

/**
 * Pids of every process whose network namespace is one of `namespaces`. This is how `down` finds
 * processes of a crashed runtime that never made it into a pid record: anything living in a
 * namespace this cluster created belongs to this cluster.
 */
export function processesInNetns(namespaces: readonly string[]): number[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    const ino = netnsInode(ns);
    if (ino !== undefined) inodes.add(`net:[${ino}]`);
  }
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) out.push(pid);
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}
