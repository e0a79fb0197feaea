/**
 * ztunnel's table of in-pod proxies, driven by ZDS requests (Istio's `WorkloadProxyManager`
 * state): Add starts (or keeps) a pod's proxy set, Keep marks an existing one as still wanted
 * during a snapshot, Del stops one, SnapshotSent stops everything the snapshot did not mention.
 * Independent of the socket, so the rules are table-testable.
 */
import { createLogger, errorMessage, type ZdsRequest } from "@ambit/core";
import { closeFd, netnsInode } from "@ambit/sockets";
import type { PodProxyFactory, PodProxyHandle } from "./pod-proxy-factory.js";

const log = createLogger("ztunnel.inpod");

interface Entry {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly netnsFd: number;
  readonly netnsInode: bigint;
  readonly handle: PodProxyHandle;
}

/** One pod's line in the admin dump. */
export interface InpodWorkloadStatus {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly netnsInode: string;
}

function safeClose(fd: number): void {
  try {
    closeFd(fd);
  } catch {
    // already closed
  }
}

export class InpodWorkloads {
  private readonly entries = new Map<string, Entry>();
  /** uids mentioned (Add/Keep) since the current connection's snapshot began; undefined after it. */
  private snapshotSeen: Set<string> | undefined;
  /** Adds that failed in the current snapshot (readiness needs none). */
  private snapshotFailures = 0;
  private snapshotDone = false;
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly factory: PodProxyFactory) {}

  /** A new connection starts: until SnapshotSent, every request belongs to the snapshot. */
  beginSnapshot(): void {
    this.snapshotSeen = new Set();
    this.snapshotFailures = 0;
  }

  /** Ready once a snapshot completed with every proxy started (wire-spec §5.1 "Readiness"). */
  get ready(): boolean {
    return this.snapshotDone && this.snapshotFailures === 0;
  }

  status(): InpodWorkloadStatus[] {
    return [...this.entries.values()].map((e) => ({
      uid: e.uid,
      name: e.name,
      namespace: e.namespace,
      netnsInode: e.netnsInode.toString(),
    }));
  }

  /** Handles one request; returns the ack text (`""` = ok). Takes ownership of `fd`. */
  async handle(req: ZdsRequest, fd: number | undefined): Promise<string> {
    switch (req.t) {
      case "add":
        if (fd === undefined) return "add without netns fd";
        return this.add(req, fd);
      case "keep": {
        this.snapshotSeen?.add(req.uid);
        if (!this.entries.has(req.uid)) log.warn("keep for unknown workload", { uid: req.uid });
        return "";
      }
      case "del":
        // Ack once the proxies are told to stop; draining their connections must not hold up
        // the agent (it waits at most 5 s per ack).
        this.stopInBackground(req.uid, "del");
        return "";
      case "snapshot_sent": {
        const seen = this.snapshotSeen ?? new Set<string>();
        for (const uid of [...this.entries.keys()]) {
          if (!seen.has(uid)) this.stopInBackground(uid, "not in snapshot");
        }
        this.snapshotSeen = undefined;
        this.snapshotDone = true;
        return "";
      }
    }
  }

  /** Stops every proxy (ztunnel shutdown) and waits for earlier stops to finish. */
  async stopAll(): Promise<void> {
    for (const uid of [...this.entries.keys()]) await this.stopEntry(uid, "shutdown");
    await Promise.all(this.stopping);
  }

  private stopInBackground(uid: string, why: string): void {
    const p = this.stopEntry(uid, why).finally(() => this.stopping.delete(p));
    this.stopping.add(p);
  }

  private async add(req: Extract<ZdsRequest, { t: "add" }>, fd: number): Promise<string> {
    let inode: bigint;
    try {
      inode = netnsInode(fd);
    } catch (e) {
      safeClose(fd);
      return `add ${req.uid}: bad netns fd: ${errorMessage(e)}`;
    }
    const existing = this.entries.get(req.uid);
    if (existing && existing.netnsInode === inode) {
      // Same pod, same netns (snapshot replay after a reconnect): keep the running proxies.
      safeClose(fd);
      this.snapshotSeen?.add(req.uid);
      return "";
    }
    if (existing) await this.stopEntry(req.uid, "netns changed");
    try {
      const handle = await this.factory.start({ uid: req.uid, ...req.info, netnsFd: fd });
      this.entries.set(req.uid, {
        uid: req.uid,
        name: req.info.name,
        namespace: req.info.namespace,
        netnsFd: fd,
        netnsInode: inode,
        handle,
      });
      this.snapshotSeen?.add(req.uid);
      log.info("pod proxies started", { uid: req.uid, pod: `${req.info.namespace}/${req.info.name}` });
      return "";
    } catch (e) {
      safeClose(fd);
      if (this.snapshotSeen) this.snapshotFailures++;
      log.warn("pod proxies failed to start", { uid: req.uid, error: e });
      return `failed to start proxies for ${req.info.namespace}/${req.info.name}: ${errorMessage(e)}`;
    }
  }

  private async stopEntry(uid: string, why: string): Promise<void> {
    const e = this.entries.get(uid);
    if (!e) return;
    this.entries.delete(uid);
    try {
      await e.handle.stop();
    } catch (err) {
      log.warn("pod proxies failed to stop", { uid, error: err });
    } finally {
      safeClose(e.netnsFd);
    }
    log.info("pod proxies stopped", { uid, why });
  }
}
