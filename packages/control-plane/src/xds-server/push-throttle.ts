/**
 * Bounds the bytes of responses being written at once across all streams, so a burst of big
 * per-client responses (reconnect diffs) cannot pile up unbounded in memory. A grant is held from
 * `write` until the bytes left the process (write callback), the stream closed, or `stuckMs`
 * passed — so a client that stops reading holds its bytes for a moment, never the whole budget.
 *
 * It limits bytes, not responses: a count limit (Istio's 16 concurrent pushes) made small pushes
 * wait in waves behind each other — one pod change reached the 100th of 100 streams only after
 * ~7 rounds of write callbacks. Small pushes now go straight out unless megabytes are queued.
 * Bytes shared by every stream (a snapshot's full response) cost nothing here: they stay in memory
 * anyway, and writing them to one more stream allocates nothing new. A response larger than the
 * whole budget is granted when nothing else is in flight. Waiters are served FIFO, each at most once.
 */
export class PushThrottle {
  private bytesInUse = 0;
  private grants = 0;
  /** Waiter → bytes it asked for, in arrival order. */
  private readonly waiting = new Map<() => void, number>();

  constructor(
    private readonly limitBytes: number,
    private readonly stuckMs: number,
  ) {}

  /**
   * Take `bytes` of the budget, or register `retry` to be called when some frees up (a repeat
   * registration of the same callback is one waiter). Returns the release function, or undefined
   * when queued. Zero bytes are always granted.
   */
  tryAcquire(retry: () => void, bytes: number): (() => void) | undefined {
    if (!this.fits(bytes)) {
      if (!this.waiting.has(retry)) this.waiting.set(retry, bytes);
      return undefined;
    }
    this.waiting.delete(retry);
    if (bytes === 0) return noop;
    this.bytesInUse += bytes;
    this.grants += 1;
    let released = false;
    const timer = setTimeout(() => release(), this.stuckMs);
    timer.unref();
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.bytesInUse -= bytes;
      this.grants -= 1;
      this.wake();
    };
    return release;
  }

  /** Forget a waiter (its stream closed). */
  cancel(retry: () => void): void {
    this.waiting.delete(retry);
  }

  /** Grants (responses) being written now. */
  get active(): number {
    return this.grants;
  }

  /** Bytes of those responses. */
  get activeBytes(): number {
    return this.bytesInUse;
  }

  get queued(): number {
    return this.waiting.size;
  }

  private fits(bytes: number): boolean {
    return bytes === 0 || this.bytesInUse === 0 || this.bytesInUse + bytes <= this.limitBytes;
  }

  private wake(): void {
    // FIFO: wake waiters while the first one fits (so a big response is not starved by small
    // ones). A woken stream may find less or nothing to send; it re-registers if still too big.
    for (;;) {
      const next = this.waiting.entries().next();
      if (next.done) return;
      const [retry, bytes] = next.value;
      if (!this.fits(bytes)) return;
      this.waiting.delete(retry);
      retry();
    }
  }
}

function noop(): void {}
