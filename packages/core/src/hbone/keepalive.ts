import type { Http2Session } from "node:http2";

/** Keepalive timing; both ends of HBONE use the same values (wire-spec §1.7). */
export interface KeepaliveOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * PING the peer every `intervalMs` (one PING outstanding at a time) and call `onDead` when a PING
 * stays unanswered for `timeoutMs`. Returns a stop function; also stops when the session closes.
 * Timers are unref'd so an idle pool never keeps the process alive.
 */
export function startKeepalive(
  session: Http2Session,
  opts: KeepaliveOptions,
  onDead: () => void,
): () => void {
  let deadTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || deadTimer !== undefined || session.destroyed || session.closed) return;
    const sent = session.ping((err) => {
      if (deadTimer !== undefined) clearTimeout(deadTimer);
      deadTimer = undefined;
      // An error here means the session went away; its own close handling reports that.
      void err;
    });
    if (!sent) return;
    deadTimer = setTimeout(() => {
      deadTimer = undefined;
      if (!stopped) onDead();
    }, opts.timeoutMs);
    deadTimer.unref();
  };
  const interval = setInterval(tick, opts.intervalMs);
  interval.unref();
  const stop = () => {
    stopped = true;
    clearInterval(interval);
    if (deadTimer !== undefined) clearTimeout(deadTimer);
    deadTimer = undefined;
  };
  session.once("close", stop);
  return stop;
}
