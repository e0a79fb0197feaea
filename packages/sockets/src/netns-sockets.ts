import net from "node:net";
import { native, POLL_WRITABLE } from "./native.js";
import { checkFd } from "./netns-fd.js";
import { SocketsError } from "./sockets-error.js";

/** A network namespace: a path (/var/run/netns/x, /proc/<pid>/ns/net) or an open fd; omitted = current. */
export type NetnsRef = string | number;

/** Options of a listener opened inside a network namespace. */
export interface ListenInNetnsOptions {
  netns?: NetnsRef;
  /** IP literal to bind (`0.0.0.0`, `::`, `127.0.0.1`, a transparent/foreign address). */
  host: string;
  /** 0 picks a free port (read it from `server.address()`). */
  port: number;
  /** SO_REUSEPORT: several processes or listeners share the port (zero-downtime restart). */
  reusePort?: boolean;
  /** IP_TRANSPARENT / IPV6_TRANSPARENT: accept traffic for non-local addresses (TPROXY). */
  transparent?: boolean;
  /** SO_MARK on the listener (inherited by accepted sockets). */
  mark?: number;
  backlog?: number;
  /** Passed to `net.createServer` (allowHalfOpen, pauseOnConnect, noDelay, …). */
  serverOptions?: net.ServerOpts;
}

/** Options of an outbound connection made from inside a network namespace. */
export interface ConnectInNetnsOptions {
  netns?: NetnsRef;
  host: string;
  port: number;
  /** SO_MARK, set before the SYN leaves (e.g. 0x539 so capture rules skip the proxy's own traffic). */
  mark?: number;
  /** Bind this (foreign) source first with IP_TRANSPARENT, so the server sees the original client. */
  transparentSource?: { ip: string; port?: number };
  /** Rejects with code "timeout" when the handshake takes longer (default 10 s). */
  timeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function describeNetns(ns: NetnsRef | undefined): string {
  if (ns === undefined) return "";
  return typeof ns === "number" ? ` in netns fd ${ns}` : ` in netns ${ns}`;
}

function fmt(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function validate(
  what: string,
  o: { netns?: NetnsRef | undefined; host: string; port: number; mark?: number | undefined },
): void {
  const bad = (m: string): never => {
    throw new SocketsError("invalid_argument", `${what}: ${m}`);
  };
  if (o.netns !== undefined) {
    if (typeof o.netns === "string" && o.netns.length === 0) bad("netns path is empty");
    if (typeof o.netns === "number") checkFd(o.netns, what);
    if (typeof o.netns !== "string" && typeof o.netns !== "number") bad("netns must be a path or an fd");
  }
  if (typeof o.host !== "string" || net.isIP(o.host) === 0)
    bad(`host must be an IP literal, got ${String(o.host)}`);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) bad(`port out of range: ${String(o.port)}`);
  if (o.mark !== undefined && (!Number.isInteger(o.mark) || o.mark < 0 || o.mark > 0xffffffff)) {
    bad(`mark must be a 32-bit unsigned integer, got ${String(o.mark)}`);
  }
}

/**
 * Creates, configures, binds and listens a TCP socket inside `netns` and returns its fd (the caller
 * owns it). The thread enters the namespace only for socket(); it is back before this returns.
 */
export function openListenFd(opts: Omit<ListenInNetnsOptions, "serverOptions">): number {
  const what = `listen${describeNetns(opts.netns)} on ${fmt(opts.host, opts.port)}`;
  validate(what, opts);
  try {
    return native().openListenFd(
      opts.netns,
      opts.host,
      opts.port,
      opts.reusePort ?? false,
      opts.transparent ?? false,
      opts.mark ?? null,
      opts.backlog ?? 511,
    );
  } catch (e) {
    throw SocketsError.from(e, what);
  }
}

/**
 * A `net.Server` listening inside another network namespace (in-pod listeners): the socket lives in
 * `netns`, while this process and its event loop stay in their own. Connections arrive as usual.
 */
export function listenInNetns(
  opts: ListenInNetnsOptions,
  onConnection?: (socket: net.Socket) => void,
): Promise<net.Server> {
  let fd: number;
  try {
    fd = openListenFd(opts);
  } catch (e) {
    return Promise.reject(e);
  }
  const server = net.createServer(opts.serverOptions ?? {});
  if (onConnection !== undefined) server.on("connection", onConnection);
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.close();
      reject(SocketsError.from(e, `adopt listener fd ${fd}`));
    };
    server.once("error", onError);
    server.listen({ fd, backlog: opts.backlog ?? 511 }, () => {
      server.off("error", onError);
      resolve(server);
    });
  });
}

function adoptConnected(fd: number, what: string): net.Socket {
  try {
    return new net.Socket({ fd, readable: true, writable: true });
  } catch (e) {
    native().closeFd(fd);
    throw SocketsError.from(e, what);
  }
}

/**
 * Connects from inside `netns` with options that must be set before the SYN (SO_MARK, transparent
 * source). The handshake is non-blocking: the fd is watched by a libuv poll handle and only
 * handed to a `net.Socket` once connected, so the event loop never waits on the kernel.
 */
export function connectInNetns(opts: ConnectInNetnsOptions): Promise<net.Socket> {
  const what = `connect${describeNetns(opts.netns)} to ${fmt(opts.host, opts.port)}`;
  let fd: number;
  let connected: boolean;
  try {
    validate(what, opts);
    const src = opts.transparentSource;
    if (src !== undefined) validate(`${what} from`, { host: src.ip, port: src.port ?? 0 });
    [fd, connected] = native().openConnectFd(
      opts.netns,
      opts.host,
      opts.port,
      opts.mark ?? null,
      src?.ip ?? null,
      src?.port ?? 0,
    );
  } catch (e) {
    return Promise.reject(SocketsError.from(e, what));
  }
  if (connected) {
    try {
      return Promise.resolve(adoptConnected(fd, what));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      poller.close(); // out of epoll before libuv's TCP handle takes the same fd
    };
    const poller = new (native().Poller)(fd, (pollErr) => {
      finish();
      try {
        // libuv reports POLLERR as EBADF; the real reason is in SO_ERROR.
        const err = native().socketError(fd) || pollErr;
        if (err !== "") {
          native().closeFd(fd);
          reject(SocketsError.from({ errno: err, syscall: "connect" }, what));
          return;
        }
        resolve(adoptConnected(fd, what));
      } catch (e) {
        reject(SocketsError.from(e, what));
      }
    });
    const timer = setTimeout(() => {
      finish();
      native().closeFd(fd);
      reject(
        new SocketsError("timeout", `${what}: no answer within ${timeoutMs} ms`, { errno: "ETIMEDOUT" }),
      );
    }, timeoutMs);
    poller.start(POLL_WRITABLE);
  });
}

/** The fd behind a net.Socket / net.Server (Node keeps it on the libuv handle). */
function fdOf(s: net.Socket | net.Server, what: string): number {
  const fd = (s as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) {
    throw new SocketsError("invalid_argument", `${what}: socket has no fd (not open, or closed)`);
  }
  return fd;
}

/** Sets SO_MARK on an open socket or listener (e.g. 0x539 on a proxy's upstream connection). */
export function setMark(s: net.Socket | net.Server, mark: number): void {
  const what = `set SO_MARK ${String(mark)}`;
  if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff) {
    throw new SocketsError("invalid_argument", `${what}: mark must be a 32-bit unsigned integer`);
  }
  try {
    native().setMark(fdOf(s, what), mark);
  } catch (e) {
    throw SocketsError.from(e, what);
  }
}

/** Reads SO_MARK of an open socket or listener. */
export function getMark(s: net.Socket | net.Server): number {
  try {
    return native().getMark(fdOf(s, "get SO_MARK"));
  } catch (e) {
    throw SocketsError.from(e, "get SO_MARK");
  }
}

/**
 * The destination the client dialled before REDIRECT/DNAT rewrote it (SO_ORIGINAL_DST for IPv4,
 * IP6T_SO_ORIGINAL_DST for IPv6). A tracked connection that no rule rewrote reports its real destination;
 * code `not_redirected` means conntrack has no entry at all (no NAT rules in that namespace).
 */
export function getOriginalDst(socket: net.Socket): { ip: string; port: number } {
  try {
    return native().getOriginalDst(fdOf(socket, "get original destination"));
  } catch (e) {
    throw SocketsError.from(e, "get original destination");
  }
}
