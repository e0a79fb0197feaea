import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import { type NativePoller, native, POLL_READABLE } from "./native.js";
import { BATCH, SeqpacketSocket } from "./seqpacket.js";
import { SocketsError } from "./sockets-error.js";

/**
 * Listening SOCK_SEQPACKET unix socket; emits 'connection' with a SeqpacketSocket per peer.
 * `close()` removes the socket file it created.
 */
export class SeqpacketServer extends EventEmitter {
  private fd: number;
  private readonly poller: NativePoller;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    super();
    this.fd = fd;
    this.poller = new (native().Poller)(fd, (err) => this.onPoll(err));
    this.poller.start(POLL_READABLE);
  }

  /** Binds and listens at `path`; `removeExisting` unlinks a stale socket file first. */
  static listen(
    path: string,
    opts: { backlog?: number; removeExisting?: boolean } = {},
  ): Promise<SeqpacketServer> {
    try {
      if (typeof path !== "string" || path.length === 0) {
        throw new SocketsError("invalid_argument", "seqpacket listen: path must be a non-empty string");
      }
      if (opts.removeExisting === true) rmSync(path, { force: true });
      return Promise.resolve(new SeqpacketServer(path, native().seqpacketListen(path, opts.backlog ?? 128)));
    } catch (e) {
      return Promise.reject(SocketsError.from(e, `seqpacket listen ${path}`));
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.poller.close();
    native().closeFd(this.fd);
    this.fd = -1;
    rmSync(this.path, { force: true });
    process.nextTick(() => this.emit("close"));
  }

  unref(): this {
    this.poller.unref();
    return this;
  }

  ref(): this {
    this.poller.ref();
    return this;
  }

  private onPoll(err: string): void {
    if (this.fd < 0) return;
    if (err !== "") {
      this.emit("error", SocketsError.from({ errno: err, syscall: "poll" }, `seqpacket accept ${this.path}`));
      return;
    }
    for (let i = 0; i < BATCH; i++) {
      let fd: number;
      try {
        fd = native().seqpacketAccept(this.fd);
      } catch (e) {
        this.emit("error", SocketsError.from(e, `seqpacket accept ${this.path}`));
        return;
      }
      if (fd < 0) return;
      const sock = new SeqpacketSocket(fd);
      if (this.listenerCount("connection") === 0) sock.close();
      else this.emit("connection", sock);
    }
  }
}
