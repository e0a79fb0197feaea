/**
 * One ztunnel connection on the agent side: waits for `ZdsHello{V1}`, then carries requests one at
 * a time (strict request/ack, 5 s deadline per ack). Any protocol violation or a missed deadline
 * closes the connection; ztunnel reconnects and receives a fresh snapshot.
 */
import {
  createLogger,
  decodeZdsAck,
  decodeZdsHello,
  encodeZdsRequest,
  errorMessage,
  ZDS_ACK_TIMEOUT_MS,
  type ZdsRequest,
} from "@ambit/core";
import { closeFd, type SeqpacketMessage, type SeqpacketSocket } from "@ambit/sockets";
import { ZdsServerError } from "./zds-server-error.js";

const log = createLogger("node-agent.zds");

function datagram(m: SeqpacketMessage) {
  return { data: m.data, fds: m.fds, truncated: false };
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeFd(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}

/** Connection lifecycle; `state()` exposes the tag only. */
type State = { t: "handshaking" } | { t: "open" } | { t: "closed"; reason: string };

export class ZdsConnection {
  private st: State = { t: "handshaking" };
  private tail: Promise<unknown> = Promise.resolve();
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  /** The one datagram the connection is waiting for (hello or an ack); anything else is a violation. */
  private waiter: { resolve(m: SeqpacketMessage): void; reject(e: Error): void } | undefined;

  constructor(
    private readonly sock: SeqpacketSocket,
    readonly id: number,
    private readonly ackTimeoutMs = ZDS_ACK_TIMEOUT_MS,
  ) {
    this.closedPromise = new Promise((r) => {
      this.resolveClosed = r;
    });
    sock.on("close", () => this.markClosed("peer closed"));
    sock.on("error", (e: Error) => this.markClosed(e.message));
    // A permanent 'message' listener keeps the socket polled, so a ztunnel that goes away is
    // noticed at once even while no request is in flight (Istio probes with a short read instead).
    sock.on("message", (m: SeqpacketMessage) => {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) return w.resolve(m);
      closeAll(m.fds);
      this.close("unsolicited datagram from ztunnel");
    });
  }

  private next(): Promise<SeqpacketMessage> {
    if (this.st.t === "closed")
      return Promise.reject(
        new ZdsServerError("connection_lost", `zds: connection closed (${this.st.reason})`),
      );
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  state(): State["t"] {
    return this.st.t;
  }

  /** Resolves once the connection is gone (either side). */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  /** Waits for ztunnel's hello; rejects (and closes) on anything else or after the deadline. */
  async handshake(): Promise<void> {
    const msg = await this.withDeadline(this.next(), "hello");
    try {
      decodeZdsHello(datagram(msg));
    } catch (e) {
      closeAll(msg.fds);
      this.close(`bad hello: ${errorMessage(e)}`);
      throw e;
    }
    if (this.st.t === "handshaking") this.st = { t: "open" };
  }

  /**
   * Sends one request (with the netns fd for `add`; the fd is the caller's and stays open) and
   * returns ztunnel's answer: `""` = ack, anything else = NACK text. Requests are serialised.
   */
  request(req: ZdsRequest, netnsFd?: number): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.st.t === "closed")
        throw new ZdsServerError("connection_lost", `zds ${req.t}: connection closed (${this.st.reason})`);
      await this.sock.send(encodeZdsRequest(req), netnsFd === undefined ? undefined : [netnsFd]);
      const msg = await this.withDeadline(this.next(), `ack of ${req.t}`);
      try {
        return decodeZdsAck(datagram(msg));
      } catch (e) {
        closeAll(msg.fds);
        this.close(`bad ack: ${errorMessage(e)}`);
        throw e;
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p.catch((e: unknown) => {
      if (e instanceof ZdsServerError) throw e;
      // Socket-level failures surface as a lost connection to the caller.
      throw new ZdsServerError("connection_lost", `zds ${req.t}: ${errorMessage(e)}`, { cause: e });
    });
  }

  close(reason: string): void {
    this.markClosed(reason);
    this.sock.close();
  }

  private markClosed(reason: string): void {
    if (this.st.t === "closed") return;
    this.st = { t: "closed", reason };
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new ZdsServerError("connection_lost", `zds: connection closed (${reason})`));
    log.info("ztunnel connection closed", { conn: this.id, reason });
    this.resolveClosed();
  }

  private withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close(`no ${what} within ${this.ackTimeoutMs} ms`);
        reject(new ZdsServerError("ack_timeout", `zds: no ${what} within ${this.ackTimeoutMs} ms`));
      }, this.ackTimeoutMs);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}
