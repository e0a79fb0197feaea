/**
 * Bounds how many responses are being written at once across all streams (Istio's push
 * throttle). A slot is held from `write` until the bytes left the process (write callback), the
 * stream closed, or `stuckMs` passed — so a client that stops reading holds one slot for a
 * moment, never the whole server. Waiters are served FIFO, each at most once.
 */
export class PushThrottle {
  private inUse = 0;
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly limit: number,
    private readonly stuckMs: number,
  ) {}

  /**
   * Take a slot, or register `retry` to be called when one frees up (a repeat registration of
   * the same callback is one waiter). Returns the release function, or undefined when queued.
   */
  tryAcquire(retry: () => void): (() => void) | undefined {
    if (this.inUse >= this.limit) {
      this.waiting.add(retry);
      return undefined;
    }
    this.waiting.delete(retry);
    this.inUse += 1;
    let released = false;
    const timer = setTimeout(() => release(), this.stuckMs);
    timer.unref();
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.inUse -= 1;
      this.wakeOne();
    };
    return release;
  }

  /** Forget a waiter (its stream closed). */
  cancel(retry: () => void): void {
    this.waiting.delete(retry);
  }

  get active(): number {
    return this.inUse;
  }

  get queued(): number {
    return this.waiting.size;
  }

  private wakeOne(): void {
    // A woken stream may find nothing to send and take no slot: keep waking while slots are free.
    while (this.inUse < this.limit) {
      const next = this.waiting.values().next();
      if (next.done) return;
      this.waiting.delete(next.value);
      next.value();
    }
  }
}
