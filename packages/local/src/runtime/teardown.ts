import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@ambit/core";
import { deleteNetns, ETC_NETNS_DIR, listNetns } from "../cluster/cluster-network.js";
import { processesInNetns } from "../cluster/netns-processes.js";
import { readJson } from "../fs-atomic.js";
import { listPidRecords, type PidRecord, recordAlive } from "../supervisor/pid-records.js";
import { signalGroup } from "../supervisor/supervisor.js";
import type { StatePaths } from "./state-dir.js";

const log = createLogger("local.teardown");

/** What `down` removed (for its output and for tests). */
export interface TeardownReport {
  readonly killed: readonly number[];
  readonly namespaces: readonly string[];
  readonly etcDirs: readonly string[];
}

async function waitGone(pids: readonly number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const alive = (p: number): boolean => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Removes everything a cluster created, whatever state it was left in (also after `kill -9` of the
 * runtime): the daemon and every recorded process (pid + start time checked), any other process
 * living in one of the cluster's namespaces, the namespaces themselves (which takes all veths,
 * the bridge, addresses, routes and nft tables with them — nothing is ever created in the host
 * netns), the /etc/netns overrides, and the state files except logs/ (`keepState` keeps them, for
 * a runtime that rebuilds after a crash). Idempotent.
 */
export async function teardownCluster(
  paths: StatePaths,
  prefix: string,
  opts: { readonly keepState?: boolean } = {},
): Promise<TeardownReport> {
  const killed: number[] = [];
  const daemon = readJson<PidRecord>(paths.daemonFile);
  const records = listPidRecords(paths.pidsDir);
  if (daemon !== undefined && daemon.pid !== process.pid && recordAlive(daemon)) {
    signalGroup(daemon.pid, "SIGTERM");
    await waitGone([daemon.pid], 5000);
    signalGroup(daemon.pid, "SIGKILL");
    killed.push(daemon.pid);
  }
  for (const r of records) {
    if (r.pid !== process.pid && recordAlive(r)) {
      signalGroup(r.pid, "SIGKILL");
      killed.push(r.pid);
    }
  }
  const namespaces = listNetns().filter((n) => n.startsWith(prefix));
  for (const pid of processesInNetns(namespaces)) {
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone
    }
  }
  await waitGone(killed, 3000);
  // Pods first, the cluster netns (bridge) last.
  const order = [...namespaces].sort((a, b) => rank(a, prefix) - rank(b, prefix));
  for (const ns of order) await deleteNetns(ns);
  let etcDirs: string[] = [];
  try {
    etcDirs = readdirSync(ETC_NETNS_DIR).filter((d) => d.startsWith(prefix));
  } catch {
    // no /etc/netns
  }
  for (const d of etcDirs) rmSync(join(ETC_NETNS_DIR, d), { recursive: true, force: true });
  rmSync(paths.pidsDir, { recursive: true, force: true });
  let entries: string[] = [];
  try {
    entries = opts.keepState === true ? [] : readdirSync(paths.root);
  } catch {
    // no state dir
  }
  for (const e of entries) if (e !== "logs") rmSync(join(paths.root, e), { recursive: true, force: true });
  if (killed.length + namespaces.length > 0) log.info("cluster removed", { prefix, killed, namespaces });
  return { killed: [...new Set(killed)], namespaces, etcDirs };
}

function rank(ns: string, prefix: string): number {
  const rest = ns.slice(prefix.length);
  if (rest.startsWith("p-")) return 0;
  if (rest === "cluster") return 2;
  return 1;
}
