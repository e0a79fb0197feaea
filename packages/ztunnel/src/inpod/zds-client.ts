/**
 * ztunnel's end of ZDS: connects to the node agent's SOCK_SEQPACKET socket (retrying with backoff
 * 10 ms ×2 up to 15 s), sends `ZdsHello{V1}`, then answers every request with exactly one ack.
 * Proxies outlive the connection: when the agent restarts, ztunnel keeps serving and reconciles
 * against the snapshot the new agent replays.
 */
import {
  createLogger,
  decodeZdsRequest,
  encodeZdsAck,
  encodeZdsHello,
  errorMessage,
  nextZdsBackoff,
} from "@ambit/core";
import { closeFd, type SeqpacketMessage, SeqpacketSocket } from "@ambit/sockets";
import { type InpodWorkloadStatus, InpodWorkloads } from "./inpod-workloads.js";
import type { PodProxyFactory } from "./pod-proxy-factory.js";

const log = createLogger("ztunnel.inpod");

export interface ZdsClientOptions {
  /** The agent's socket, e.g. `<stateDir>/nodes/<node>/ztunnel.sock` (Istio: /var/run/ztunnel/ztunnel.sock). */
  readonly socketPath: string;
  readonly factory: PodProxyFactory;
}

/** Connection lifecycle (tag only is public). */
type State =
  | { t: "idle" }
  | { t: "connecting"; attempt: number }
  | { t: "connected"; sock: SeqpacketSocket }
  | { t: "backoff"; delayMs: number }
  | { t: "stopped" };

export class ZdsClient {
  private st: State = { t: "idle" };
  private backoffMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly workloads: InpodWorkloads;
  private connections = 0;

  constructor(private readonly opts: ZdsClientOptions) {
    this.workloads = new InpodWorkloads(opts.factory);
  }

  state(): State["t"] {
    return this.st.t;
  }

  /** Ready after the first snapshot in which every proxy started. */
  get ready(): boolean {
    return this.workloads.ready;
  }

  /** Number of successful connections so far (admin/tests). */
  get connectionCount(): number {
    return this.connections;
  }

  status(): InpodWorkloadStatus[] {
    return this.workloads.status();
  }

  /** Starts the connect loop; returns at once. */
  start(): void {
    if (this.st.t !== "idle") return;
    void this.connect(1);
  }

  /** Disconnects; with `stopProxies` (default true) also stops every pod's proxies. */
  async stop(opts: { stopProxies?: boolean } = {}): Promise<void> {
    const prev = this.st;
    this.st = { t: "stopped" };
    if (this.timer) clearTimeout(this.timer);
    if (prev.t === "connected") prev.sock.close();
    if (opts.stopProxies ?? true) await this.workloads.stopAll();
  }

  private async connect(attempt: number): Promise<void> {
    if (this.st.t === "stopped") return;
    this.st = { t: "connecting", attempt };
    let sock: SeqpacketSocket;
    try {
      sock = await SeqpacketSocket.connect(this.opts.socketPath);
      await sock.send(encodeZdsHello());
    } catch (e) {
      if (attempt === 1 || log.debugEnabled)
        log.info("zds connect failed, retrying", { path: this.opts.socketPath, error: errorMessage(e) });
      return this.retry(attempt);
    }
    if (this.isStopped()) {
      sock.close();
      return;
    }
    this.st = { t: "connected", sock };
    this.connections++;
    this.workloads.beginSnapshot();
    log.info("zds connected", { path: this.opts.socketPath });
    await this.serve(sock);
    if (this.isStopped()) return;
    log.info("zds connection lost, reconnecting");
    this.retry(1);
  }

  private isStopped(): boolean {
    return this.st.t === "stopped";
  }

  private retry(attempt: number): void {
    if (this.st.t === "stopped") return;
    this.backoffMs = nextZdsBackoff(attempt === 1 ? undefined : this.backoffMs);
    this.st = { t: "backoff", delayMs: this.backoffMs };
    this.timer = setTimeout(() => void this.connect(attempt + 1), this.backoffMs);
  }

  private async serve(sock: SeqpacketSocket): Promise<void> {
    for (;;) {
      let msg: SeqpacketMessage;
      try {
        msg = await sock.recv();
      } catch {
        return; // closed by the agent or by stop()
      }
      let ack: string;
      try {
        const req = decodeZdsRequest({ data: msg.data, fds: msg.fds, truncated: false });
        ack = await this.workloads.handle(req, msg.fds[0]);
      } catch (e) {
        for (const fd of msg.fds) closeFd(fd);
        log.warn("zds protocol error, dropping connection", { error: e });
        sock.close();
        return;
      }
      try {
        await sock.send(encodeZdsAck(ack));
      } catch {
        return;
      }
    }
  }
}
