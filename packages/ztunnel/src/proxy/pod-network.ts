import net from "node:net";
import type { SocketAddress } from "@ambit/api";
import { canonicalIp, socketAddress, ZTUNNEL_MARK } from "@ambit/api";
import { createLogger } from "@ambit/core";
import { connectInNetns, getOriginalDst, listenInNetns, type NetnsRef } from "@ambit/sockets";

const log = createLogger("proxy.network");

/** Set once a listener had to be opened without IP_TRANSPARENT: the warning is per process. */
let warnedNonTransparent = false;

/**
 * The sockets of one pod's proxy set. In-pod mode implements it over the pod's netns (mark 0x539,
 * SO_REUSEPORT, transparent source); tests implement it over loopback. Executors touch sockets only
 * through this, so the same code runs in both.
 */
export interface PodNetwork {
  /** A listener for one of the pod's proxy ports (0 = any free port). */
  listen(port: number): Promise<net.Server>;
  /** Connect from the pod; with `sourceIp`, from that (foreign) IP via a transparent socket. */
  connect(
    to: SocketAddress,
    opts?: { readonly sourceIp?: string | undefined; readonly timeoutMs?: number },
  ): Promise<net.Socket>;
  /** The pre-REDIRECT destination of an accepted outbound/plaintext connection, if any. */
  originalDst(socket: net.Socket): SocketAddress | undefined;
}

/** Listeners and upstream sockets inside a pod's netns, all marked so capture rules skip them. */
export function netnsPodNetwork(netns: NetnsRef, opts: { readonly mark?: number } = {}): PodNetwork {
  const mark = opts.mark ?? ZTUNNEL_MARK;
  const listenOn = async (host: string, port: number, transparent: boolean) =>
    listenInNetns({
      netns,
      host,
      port,
      mark,
      reusePort: true,
      transparent,
      // Accept queue for connection bursts (tokio's default, which Istio's ztunnel inherits, is
      // 1024); the kernel caps it at net.core.somaxconn.
      backlog: 1024,
      serverOptions: { allowHalfOpen: true, noDelay: true },
    });
  return {
    async listen(port) {
      // Dual-stack [::] first (IPv4 arrives v4-mapped), then IPv4 only; IP_TRANSPARENT best-effort.
      let transparentError: unknown;
      for (const [host, transparent] of [
        ["::", true],
        ["::", false],
        ["0.0.0.0", true],
        ["0.0.0.0", false],
      ] as const) {
        try {
          const server = await listenOn(host, port, transparent);
          if (!transparent && transparentError !== undefined && !warnedNonTransparent) {
            // Not silent: without it the listener cannot take connections addressed to IPs the
            // pod does not own (TPROXY-style capture); REDIRECT capture still works.
            warnedNonTransparent = true;
            log.warn("in-pod listener opened without IP_TRANSPARENT (warned once per process)", {
              host,
              port,
              error: transparentError,
            });
          }
          return server;
        } catch (e) {
          if (transparent) transparentError = e;
          log.debug("listen attempt failed", { host, port, transparent, error: e });
        }
      }
      return listenOn("0.0.0.0", port, false);
    },
    async connect(to, o = {}) {
      const s = await connectInNetns({
        netns,
        host: to.ip,
        port: to.port,
        mark,
        ...(o.sourceIp === undefined ? {} : { transparentSource: { ip: o.sourceIp } }),
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      });
      // Adopted fds get Node's defaults: Nagle on. Every other proxy socket has it off; a small
      // write (a request, an HBONE frame) must not wait for the peer's delayed ACK.
      s.setNoDelay(true);
      return s;
    },
    originalDst(socket) {
      try {
        const d = getOriginalDst(socket);
        const ip = canonicalIp(d.ip);
        return ip === undefined ? undefined : socketAddress(ip, d.port);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * This process's own network (loopback tests, or ztunnel in shared mode without capture). `sourceIp`
 * binds a local address without transparency; `originalDst` comes from the optional resolver.
 */
export function hostPodNetwork(
  opts: { readonly host?: string; readonly originalDst?: (s: net.Socket) => SocketAddress | undefined } = {},
): PodNetwork {
  const host = opts.host ?? "127.0.0.1";
  return {
    listen(port) {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server);
        });
      });
    },
    connect(to, o = {}) {
      return new Promise((resolve, reject) => {
        const s = net.connect({
          host: to.ip,
          port: to.port,
          allowHalfOpen: true,
          noDelay: true,
          ...(o.sourceIp === undefined ? {} : { localAddress: o.sourceIp }),
        });
        const timer = setTimeout(() => s.destroy(new Error("connect timeout")), o.timeoutMs ?? 10_000);
        s.once("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
        s.once("connect", () => {
          clearTimeout(timer);
          s.removeAllListeners("error");
          resolve(s);
        });
      });
    },
    originalDst: (s) => opts.originalDst?.(s),
  };
}
