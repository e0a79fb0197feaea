import { createRequire } from "node:module";
import { SocketsError } from "./sockets-error.js";

/** A uv_poll handle on a non-blocking fd (events: 1 readable, 2 writable). @internal */
export interface NativePoller {
  start(events: number): void;
  stop(): void;
  /** Releases the handle (removes the fd from epoll at once); does not close the fd. */
  close(): void;
  ref(): void;
  unref(): void;
}

/** The addon's raw surface; every fd it returns is non-blocking and close-on-exec. @internal */
export interface NativeBinding {
  openListenFd(
    netns: string | number | undefined,
    host: string,
    port: number,
    reusePort: boolean,
    transparent: boolean,
    mark: number | null,
    backlog: number,
  ): number;
  openConnectFd(
    netns: string | number | undefined,
    host: string,
    port: number,
    mark: number | null,
    srcIp: string | null,
    srcPort: number,
  ): [fd: number, connected: boolean];
  socketError(fd: number): string;
  setMark(fd: number, mark: number): void;
  getMark(fd: number): number;
  getOriginalDst(fd: number): { ip: string; port: number };
  openNetnsFd(path: string): number;
  closeFd(fd: number): void;
  currentNetnsInode(): bigint;
  netnsInode(pathOrFd: string | number): bigint;
  seqpacketListen(path: string, backlog: number): number;
  seqpacketConnect(path: string): number;
  seqpacketAccept(fd: number): number;
  seqpacketSend(fd: number, data: Uint8Array, fds: number[]): boolean;
  seqpacketRecv(fd: number): { data: Buffer; fds: number[]; eof: boolean } | null;
  Poller: new (fd: number, cb: (err: string, events: number) => void) => NativePoller;
}

export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;

let binding: NativeBinding | undefined;

/**
 * Loads the addon on first use, so importing @ambit/sockets never fails on a machine where only
 * the pure-TS parts are needed. Built by npm (node-gyp) on install into build/Release; both src/
 * and dist/ sit one level below the package root. @internal
 */
export function native(): NativeBinding {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)("../build/Release/ambit_sockets.node") as NativeBinding;
  } catch (e) {
    throw new SocketsError(
      "not_built",
      "load native addon: build/Release/ambit_sockets.node missing or broken; run `npm ci` (or `npm run build:native -w @ambit/sockets`)",
      { cause: e },
    );
  }
  return binding;
}
