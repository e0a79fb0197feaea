/**
 * Open-loop (constant-rate) scheduling, decided without sockets so it can be tested as a table.
 *
 * Request i is *intended* at `startNs + i·1e9/rate`, whatever happened before: a slow response
 * does not delay the schedule (no coordinated omission). When every connection is busy at an
 * intended time the request queues, and its latency is counted from the intended time.
 */
export class OpenLoopSchedule {
  private readonly intervalNs: number;
  private next = 0;

  constructor(
    readonly startNs: number,
    readonly rate: number,
    /** Total requests of the run (warm-up included). */
    readonly total: number,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be > 0, got ${rate}`);
    this.intervalNs = 1e9 / rate;
  }

  intendedNs(i: number): number {
    return this.startNs + i * this.intervalNs;
  }

  /** Intended times of all requests due at `nowNs` that were not taken yet, in order. */
  takeDue(nowNs: number): number[] {
    const out: number[] = [];
    while (this.next < this.total && this.intendedNs(this.next) <= nowNs)
      out.push(this.intendedNs(this.next++));
    return out;
  }

  /** Nanoseconds from `nowNs` until the next request is due (0 if overdue), or undefined when done. */
  untilNextNs(nowNs: number): number | undefined {
    if (this.next >= this.total) return undefined;
    return Math.max(0, this.intendedNs(this.next) - nowNs);
  }

  get issued(): number {
    return this.next;
  }
}

/**
 * Latency of one request, separating the system's delay from the generator's own timer lateness.
 *
 * - `intendedNs`: when the schedule wanted to send it.
 * - `connFreeNs`: when the connection that sent it became free (end of its previous response).
 * - `sentNs`: when we actually wrote it; `doneNs`: when the last byte of the response arrived.
 *
 * A waiting request is the system's fault only while every connection was busy, i.e. until
 * max(intended, connFree). From then until `sentNs` it waited only for our JS timer to fire, which a
 * perfect generator would not do, so that span is not charged. The result is never below the
 * pure service time `doneNs - sentNs`.
 */
export function chargedLatencyNs(
  intendedNs: number,
  connFreeNs: number,
  sentNs: number,
  doneNs: number,
): number {
  const couldSendNs = Math.min(Math.max(intendedNs, connFreeNs), sentNs);
  return doneNs - sentNs + Math.max(couldSendNs - intendedNs, 0);
}
