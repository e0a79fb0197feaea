import { native } from "./native.js";
import { SocketsError } from "./sockets-error.js";

/**
 * Opens a network namespace (e.g. /var/run/netns/x or /proc/<pid>/ns/net) and returns an fd the
 * caller owns: hold it to keep the namespace addressable after its path is gone, pass it as
 * `netns`, or send it over SEQPACKET. Close it with `closeFd`.
 */
export function openNetnsFd(path: string): number {
  if (typeof path !== "string" || path.length === 0) {
    throw new SocketsError("invalid_argument", "open netns: path must be a non-empty string");
  }
  try {
    return native().openNetnsFd(path);
  } catch (e) {
    throw SocketsError.from(e, `open netns ${path}`);
  }
}

/** Closes an fd returned by this package (netns fds, received SCM_RIGHTS fds). */
export function closeFd(fd: number): void {
  checkFd(fd, "close fd");
  try {
    native().closeFd(fd);
  } catch (e) {
    throw SocketsError.from(e, `close fd ${fd}`);
  }
}

/**
 * Inode of the calling thread's network namespace. Proves the thread-safety invariant in tests:
 * after any number of netns calls (failing or not) it equals the value read before.
 */
export function currentNetnsInode(): bigint {
  return native().currentNetnsInode();
}

/** Inode of the namespace behind a path or an fd, comparable with `currentNetnsInode()`. */
export function netnsInode(pathOrFd: string | number): bigint {
  try {
    return native().netnsInode(pathOrFd);
  } catch (e) {
    throw SocketsError.from(e, `stat netns ${String(pathOrFd)}`);
  }
}

/** @internal */
export function checkFd(fd: unknown, what: string): asserts fd is number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) {
    throw new SocketsError(
      "invalid_argument",
      `${what}: fd must be a non-negative integer, got ${String(fd)}`,
    );
  }
}
