/**
 * The agent's end of ZDS (wire-spec §5.1): listens on a SOCK_SEQPACKET unix socket; for each
 * ztunnel that connects and says hello, replays a snapshot (Add with the pod's netns fd via
 * SCM_RIGHTS per enrolled pod, Keep when the netns cannot be opened, then SnapshotSent) and from
 * then on carries Add/Del for that connection. Only the newest connection receives updates: an
 * older ztunnel that is being replaced keeps its socket until it hangs up, like Istio's.
 */
import { createLogger, errorMessage, ZDS_ACK_TIMEOUT_MS, type ZdsWorkloadInfo } from "@ambit/core";
import { closeFd, openNetnsFd, SeqpacketServer, type SeqpacketSocket } from "@ambit/sockets";
import { ZdsConnection } from "./zds-connection.js";
import { ZdsServerError } from "./zds-server-error.js";

const log = createLogger("node-agent.zds");

/** A pod as the server needs it: identity for ZDS, netns path for the fd. */
export interface ZdsPod {
  readonly uid: string;
  readonly info: ZdsWorkloadInfo;
  readonly netnsPath: string;
}

/** Result of one Add/Del: `ok`, or the NACK text ztunnel returned. */
export type ZdsOutcome = { readonly t: "ack" } | { readonly t: "nack"; readonly error: string };

export interface ZdsServerOptions {
  readonly socketPath: string;
  /** Pods to put into each new connection's snapshot (rules already installed). */
  readonly snapshot: () => readonly ZdsPod[];
  /** Called for every snapshot entry's answer, so the agent can mark pods enrolled or retry. */
  readonly onSnapshotAck: (uid: string, outcome: ZdsOutcome) => void;
  /** Called when a ztunnel connection becomes the active one / the active one goes away. */
  readonly onConnected?: () => void;
  readonly onDisconnected?: () => void;
  readonly ackTimeoutMs?: number;
}

export class ZdsServer {
  private server: SeqpacketServer | undefined;
  private active: ZdsConnection | undefined;
  private readonly conns = new Set<ZdsConnection>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly opts: ZdsServerOptions) {}

  async start(): Promise<void> {
    this.server = await SeqpacketServer.listen(this.opts.socketPath, { removeExisting: true });
    this.server.on("connection", (s: SeqpacketSocket) => void this.accept(s));
    this.server.on("error", (e: Error) => log.error("zds listener error", { error: e }));
    log.info("zds server listening", { path: this.opts.socketPath });
  }

  /** True when a ztunnel has said hello and received (or is receiving) its snapshot. */
  get connected(): boolean {
    return this.active !== undefined;
  }

  /** Sends Add with the pod's netns fd to the active ztunnel and waits for its answer. */
  async add(pod: ZdsPod): Promise<ZdsOutcome> {
    const conn = this.requireActive("add");
    let fd: number;
    try {
      fd = openNetnsFd(pod.netnsPath);
    } catch (e) {
      throw new ZdsServerError("netns_unavailable", `zds add ${pod.uid}: ${errorMessage(e)}`, { cause: e });
    }
    try {
      return outcome(await conn.request({ t: "add", uid: pod.uid, info: pod.info }, fd));
    } finally {
      closeFd(fd);
    }
  }

  /** Sends Del to the active ztunnel (no ztunnel: nothing to do, the next snapshot omits it). */
  async del(uid: string): Promise<ZdsOutcome> {
    const conn = this.requireActive("del");
    return outcome(await conn.request({ t: "del", uid }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.server?.close();
    for (const c of this.conns) c.close("agent stopping");
    await Promise.all([...this.conns].map((c) => c.closed));
  }

  private requireActive(what: string): ZdsConnection {
    if (this.stopped) throw new ZdsServerError("stopped", `zds ${what}: server stopped`);
    if (!this.active) throw new ZdsServerError("no_ztunnel", `zds ${what}: no ztunnel connected`);
    return this.active;
  }

  private async accept(sock: SeqpacketSocket): Promise<void> {
    const conn = new ZdsConnection(sock, this.nextId++, this.opts.ackTimeoutMs ?? ZDS_ACK_TIMEOUT_MS);
    this.conns.add(conn);
    void conn.closed.then(() => {
      this.conns.delete(conn);
      if (this.active === conn) {
        this.active = undefined;
        this.opts.onDisconnected?.();
      }
    });
    try {
      await conn.handshake();
    } catch (e) {
      log.warn("ztunnel handshake failed", { conn: conn.id, error: e });
      conn.close("handshake failed");
      return;
    }
    if (this.stopped) return conn.close("agent stopping");
    log.info("ztunnel connected", { conn: conn.id });
    this.active = conn;
    this.opts.onConnected?.();
    await this.sendSnapshot(conn);
  }

  private async sendSnapshot(conn: ZdsConnection): Promise<void> {
    const pods = this.opts.snapshot();
    try {
      for (const pod of pods) {
        let fd: number | undefined;
        try {
          fd = openNetnsFd(pod.netnsPath);
        } catch (e) {
          // The netns is not reachable right now: ask ztunnel to keep what it has.
          log.warn("snapshot: netns unavailable, sending keep", { uid: pod.uid, error: e });
        }
        try {
          const req =
            fd === undefined
              ? ({ t: "keep", uid: pod.uid } as const)
              : ({ t: "add", uid: pod.uid, info: pod.info } as const);
          this.opts.onSnapshotAck(pod.uid, outcome(await conn.request(req, fd)));
        } finally {
          if (fd !== undefined) closeFd(fd);
        }
      }
      await conn.request({ t: "snapshot_sent" });
      log.info("snapshot sent", { conn: conn.id, pods: pods.length });
    } catch (e) {
      log.warn("snapshot failed", { conn: conn.id, error: e });
      conn.close(`snapshot failed: ${errorMessage(e)}`);
    }
  }
}

function outcome(error: string): ZdsOutcome {
  return error === "" ? { t: "ack" } : { t: "nack", error };
}
