/**
 * Closed set of failure kinds of @ambit/sockets. Callers branch on these; the errno name stays
 * available as `errno` for logs, never as a bare number.
 */
export type SocketsErrorCode =
  | "permission_denied"
  | "netns_not_found"
  | "not_a_netns"
  | "connection_refused"
  | "timeout"
  | "address_in_use"
  | "address_not_available"
  | "unreachable"
  | "message_too_large"
  | "not_redirected"
  | "closed"
  | "invalid_argument"
  | "not_built"
  | "io_error";

/**
 * The module's one error class. It does not extend @ambit/core's CodedError because sockets is a
 * leaf package (imports nothing internal); the shape (`code`, message "<what failed>: <detail>")
 * is the same.
 */
export class SocketsError extends Error {
  override readonly name = "SocketsError";
  /** Symbolic errno (`EPERM`) when the failure came from a syscall. */
  readonly errno: string | undefined;
  /** The syscall that failed (`setns`, `bind`, …). */
  readonly syscall: string | undefined;

  constructor(
    readonly code: SocketsErrorCode,
    message: string,
    opts: { cause?: unknown; errno?: string; syscall?: string } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.errno = opts.errno;
    this.syscall = opts.syscall;
  }

  /**
   * Translates a native or Node error into a SocketsError; `what` says which operation failed
   * ("listen in netns /var/run/netns/x on 0.0.0.0:15001"). The one place errno becomes a code.
   */
  static from(e: unknown, what: string): SocketsError {
    if (e instanceof SocketsError) return e;
    const errno = field(e, "errno") ?? field(e, "code");
    const syscall = field(e, "syscall");
    const path = field(e, "path");
    const [code, reason] = classify(errno, syscall, path, e instanceof Error ? e.message : String(e));
    const where = errno === undefined ? "" : ` [${errno}${syscall === undefined ? "" : ` in ${syscall}`}]`;
    return new SocketsError(code, `${what}: ${reason}${where}`, {
      cause: e,
      ...(errno === undefined ? {} : { errno }),
      ...(syscall === undefined ? {} : { syscall }),
    });
  }
}

function field(e: unknown, k: string): string | undefined {
  if (typeof e !== "object" || e === null || !(k in e)) return undefined;
  const v = (e as Record<string, unknown>)[k];
  return typeof v === "string" ? v : undefined;
}

const ROOT_HINT = "needs CAP_NET_ADMIN / CAP_SYS_ADMIN (run as root)";

function classify(
  errno: string | undefined,
  syscall: string | undefined,
  path: string | undefined,
  fallback: string,
): [SocketsErrorCode, string] {
  const netnsStep = syscall === "open_netns" || syscall === "setns";
  switch (errno) {
    case "EPERM":
    case "EACCES":
      return ["permission_denied", `permission denied: ${ROOT_HINT}`];
    case "ENOENT":
      if (syscall?.startsWith("getsockopt(SO_ORIGINAL_DST") === true) {
        return ["not_redirected", "connection was not redirected (no conntrack NAT entry)"];
      }
      if (netnsStep) return ["netns_not_found", `network namespace not found: ${path ?? "?"}`];
      return ["connection_refused", `no socket at ${path ?? "?"}`];
    case "EINVAL":
      if (syscall === "setns") return ["not_a_netns", `not a network namespace: ${path ?? "fd"}`];
      return ["invalid_argument", "invalid argument"];
    case "EBADF":
    case "ENOTSOCK":
      if (syscall === "setns") return ["invalid_argument", "netns fd is not an open file descriptor"];
      return ["invalid_argument", "not an open socket"];
    case "ENAMETOOLONG":
    case "EAFNOSUPPORT":
    case "ENOPROTOOPT":
      return ["invalid_argument", "unsupported address or option"];
    case "ECONNREFUSED":
      return ["connection_refused", "connection refused"];
    case "ETIMEDOUT":
      return ["timeout", "timed out"];
    case "EADDRINUSE":
      return ["address_in_use", "address already in use"];
    case "EADDRNOTAVAIL":
      return ["address_not_available", "address not available in this namespace"];
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return ["unreachable", "network unreachable"];
    case "EMSGSIZE":
      return ["message_too_large", "message larger than 64 KiB or too many fds (truncated)"];
    case "EPIPE":
    case "ECONNRESET":
    case "ENOTCONN":
      return ["closed", "peer closed the socket"];
    case "EAGAIN":
      return ["io_error", "resource temporarily unavailable (listen backlog full?)"];
    default:
      return ["io_error", errno === undefined ? `unexpected failure: ${fallback}` : "I/O error"];
  }
}
