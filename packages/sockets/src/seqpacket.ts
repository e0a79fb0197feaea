import { EventEmitter } from "node:events";
import { type NativePoller, native, POLL_READABLE, POLL_WRITABLE } from "./native.js";
import { checkFd } from "./netns-fd.js";
import { SocketsError } from "./sockets-error.js";

/** Largest datagram either side accepts; a bigger one is an error, never silently truncated. */
export const SEQPACKET_MAX_MESSAGE = 64 * 1024;
/** Most fds per message (SCM_RIGHTS). */
export const SEQPACKET_MAX_FDS = 16;
/** Messages handled per readiness callback, so a chatty peer cannot starve the event loop. @internal */
export const BATCH = 64;
const POLL_DISCONNECT = 4;

/** One datagram. `fds` are new descriptors owned by the receiver (close-on-exec; close them). */
export interface SeqpacketMessage {
  readonly data: Buffer;
  readonly fds: number[];
}

interface Waiter {
  resolve(m: SeqpacketMessage): void;
  reject(e: Error): void;
}
interface Outgoing {
  data: Uint8Array;
  fds: number[];
  resolve(): void;
  reject(e: Error): void;
}

/**
 * A connected SOCK_SEQPACKET unix socket: message boundaries are kept and fds travel with a payload
 * (SCM_RIGHTS), as in ZDS, where the node agent hands ztunnel a pod's netns. All I/O is
 * non-blocking with readiness from a libuv poll handle. Read either with `recv()` or with
 * 'message' events; 'close' fires once (on `close()` or when the peer hangs up).
 */
export class SeqpacketSocket extends EventEmitter {
  private fd: number;
  private readonly poller: NativePoller;
  private readonly inbox: SeqpacketMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly outbox: Outgoing[] = [];
  private mask = 0;
  private eof = false;

  /** Wraps an fd from `seqpacketAccept`/`seqpacketConnect`. @internal */
  constructor(fd: number) {
    super();
    this.fd = fd;
    this.poller = new (native().Poller)(fd, (err, events) => this.onPoll(err, events));
    this.on("newListener", (ev) => {
      if (ev === "message") queueMicrotask(() => this.update());
    });
  }

  /** Connects to a SeqpacketServer path. Unix connects complete at once or fail. */
  static connect(path: string): Promise<SeqpacketSocket> {
    try {
      if (typeof path !== "string" || path.length === 0) {
        throw new SocketsError("invalid_argument", "seqpacket connect: path must be a non-empty string");
      }
      return Promise.resolve(new SeqpacketSocket(native().seqpacketConnect(path)));
    } catch (e) {
      return Promise.reject(SocketsError.from(e, `seqpacket connect ${path}`));
    }
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** Sends one datagram (1 byte .. 64 KiB) with optional fds; resolves once the kernel took it. */
  send(data: Uint8Array, fds?: number | readonly number[]): Promise<void> {
    const list = fds === undefined ? [] : typeof fds === "number" ? [fds] : [...fds];
    try {
      if (!(data instanceof Uint8Array) || data.length === 0) {
        throw new SocketsError("invalid_argument", "seqpacket send: data must be a non-empty Uint8Array");
      }
      if (data.length > SEQPACKET_MAX_MESSAGE || list.length > SEQPACKET_MAX_FDS) {
        throw new SocketsError(
          "message_too_large",
          `seqpacket send: ${data.length} bytes / ${list.length} fds exceeds ${SEQPACKET_MAX_MESSAGE} bytes / ${SEQPACKET_MAX_FDS} fds`,
        );
      }
      for (const f of list) checkFd(f, "seqpacket send");
      if (this.closed) throw new SocketsError("closed", "seqpacket send: socket is closed");
      if (this.outbox.length === 0 && native().seqpacketSend(this.fd, data, list)) return Promise.resolve();
    } catch (e) {
      return Promise.reject(SocketsError.from(e, "seqpacket send"));
    }
    return new Promise((resolve, reject) => {
      this.outbox.push({ data, fds: list, resolve, reject });
      this.update();
    });
  }

  /** Next datagram. Rejects with code "closed" after the peer hung up or `close()`. */
  recv(): Promise<SeqpacketMessage> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.closed || this.eof) {
      return Promise.reject(new SocketsError("closed", "seqpacket recv: socket is closed"));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.update();
    });
  }

  /** Closes the socket; pending operations reject with "closed"; unread fds are closed. */
  close(): void {
    if (this.closed) return;
    this.poller.close();
    native().closeFd(this.fd);
    this.fd = -1;
    const err = new SocketsError("closed", "seqpacket: socket closed");
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const o of this.outbox.splice(0)) o.reject(err);
    for (const m of this.inbox.splice(0)) for (const f of m.fds) native().closeFd(f);
    process.nextTick(() => this.emit("close"));
  }

  /** Let the process exit while this socket is open (like net.Socket#unref). */
  unref(): this {
    this.poller.unref();
    return this;
  }

  ref(): this {
    this.poller.ref();
    return this;
  }

  private wantsRead(): boolean {
    return !this.eof && (this.waiters.length > 0 || this.listenerCount("message") > 0);
  }

  private update(): void {
    if (this.closed) return;
    const mask = (this.wantsRead() ? POLL_READABLE : 0) | (this.outbox.length > 0 ? POLL_WRITABLE : 0);
    if (mask === this.mask) return;
    this.mask = mask;
    if (mask === 0) this.poller.stop();
    else this.poller.start(mask);
  }

  private onPoll(err: string, events: number): void {
    if (this.closed) return;
    try {
      if (err !== "") {
        // libuv reports POLLERR as EBADF; the real reason is in SO_ERROR (none: the peer is gone).
        const soErr = native().socketError(this.fd);
        if (soErr === "") {
          this.eof = true;
          this.close();
          return;
        }
        throw SocketsError.from({ errno: soErr, syscall: "poll" }, "seqpacket");
      }
      if ((events & POLL_WRITABLE) !== 0) this.flush();
      if ((events & (POLL_READABLE | POLL_DISCONNECT)) !== 0) this.drain();
    } catch (e) {
      this.fail(SocketsError.from(e, "seqpacket"));
      return;
    }
    this.update();
  }

  private flush(): void {
    while (this.outbox.length > 0) {
      const o = this.outbox[0]!;
      let sent: boolean;
      try {
        sent = native().seqpacketSend(this.fd, o.data, o.fds);
      } catch (e) {
        this.outbox.shift();
        o.reject(SocketsError.from(e, "seqpacket send"));
        continue;
      }
      if (!sent) return;
      this.outbox.shift();
      o.resolve();
    }
  }

  private drain(): void {
    for (let i = 0; i < BATCH && this.wantsRead(); i++) {
      const r = native().seqpacketRecv(this.fd);
      if (r === null) return;
      if (r.eof) {
        this.eof = true;
        this.close();
        return;
      }
      const msg: SeqpacketMessage = { data: r.data, fds: r.fds };
      const w = this.waiters.shift();
      if (w !== undefined) w.resolve(msg);
      else if (this.listenerCount("message") > 0) this.emit("message", msg);
      else this.inbox.push(msg);
    }
  }

  private fail(e: SocketsError): void {
    const hadWaiters = this.waiters.length + this.outbox.length > 0;
    for (const w of this.waiters.splice(0)) w.reject(e);
    for (const o of this.outbox.splice(0)) o.reject(e);
    this.close();
    // Like net.Socket: an error nobody observes (no listener, no pending promise) is thrown.
    if (this.listenerCount("error") > 0 || !hadWaiters) this.emit("error", e);
  }
}
