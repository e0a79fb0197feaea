import { type HistogramSummary, LatencyHistogram } from "./histogram.js";
import { KeepAliveConn, oneShot, type Target } from "./http1-conn.js";
import { chargedLatencyNs, OpenLoopSchedule } from "./open-loop.js";

/** One load job, as sent to the worker process. */
export type LoadJob =
  | {
      readonly mode: "rate";
      readonly target: Target;
      readonly rate: number;
      readonly conns: number;
      readonly durationMs: number;
      readonly warmupMs: number;
    }
  | {
      readonly mode: "closed";
      readonly target: Target;
      readonly conns: number;
      readonly durationMs: number;
      readonly warmupMs: number;
    }
  | {
      readonly mode: "connect";
      readonly target: Target;
      readonly conns: number;
      readonly durationMs: number;
      readonly warmupMs: number;
    };

export interface LoadResult {
  readonly mode: LoadJob["mode"];
  /** Completed requests in the measured window (after warm-up). */
  readonly requests: number;
  readonly errors: number;
  /** Non-2xx responses in the measured window. */
  readonly badStatus: number;
  readonly seconds: number;
  readonly rps: number;
  /** Charged latency (see `chargedLatencyNs`); for closed/connect modes, plain response time. */
  readonly latency: HistogramSummary;
  /** Rate mode only: latency from the intended send time, timer lateness included (upper bound). */
  readonly latencyFromIntended?: HistogramSummary;
  /** Rate mode only: how late our own send timer fired (generator health; should stay ≪ 1 ms). */
  readonly senderLateness?: HistogramSummary;
  /** Rate mode only: requests that could not be sent before the run ended. */
  readonly unsent?: number;
  /** The first error's message, so a failing path explains itself. */
  readonly firstError?: string;
}

const now = (): number => Number(process.hrtime.bigint());

/**
 * Open-loop constant-rate run over `conns` keep-alive connections. Requests are released by the
 * schedule, go to the connection idle longest, queue FIFO when all are busy, and are charged from
 * their intended time. Timers are re-armed for the next due request (Node's 1 ms granularity).
 */
export async function runRate(job: Extract<LoadJob, { mode: "rate" }>): Promise<LoadResult> {
  const conns = await Promise.all(Array.from({ length: job.conns }, () => KeepAliveConn.open(job.target)));
  const freeAt = new Map<KeepAliveConn, number>();
  const t0 = now();
  for (const c of conns) freeAt.set(c, t0);
  const total = Math.round((job.rate * (job.durationMs + job.warmupMs)) / 1000);
  const measureFrom = t0 + job.warmupMs * 1e6;
  const sched = new OpenLoopSchedule(t0, job.rate, total);
  const charged = new LatencyHistogram();
  const fromIntended = new LatencyHistogram();
  const lateness = new LatencyHistogram();
  const queue: number[] = [];
  let errors = 0;
  let bad = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const send = (c: KeepAliveConn, intended: number): void => {
    const sent = now();
    const free = freeAt.get(c) ?? sent;
    inFlight++;
    c.send((err, status) => {
      inFlight--;
      const done = now();
      freeAt.set(c, done);
      if (intended >= measureFrom) {
        if (err !== undefined) {
          errors++;
          firstError ??= err;
        } else {
          if (status < 200 || status > 299) bad++;
          charged.record(chargedLatencyNs(intended, free, sent, done));
          fromIntended.record(done - intended);
        }
      }
      if (err !== undefined) {
        replace(c);
        return;
      }
      const next = queue.shift();
      if (next !== undefined) send(c, next);
      else maybeFinish();
    });
  };
  const replace = (dead: KeepAliveConn): void => {
    const i = conns.indexOf(dead);
    KeepAliveConn.open(job.target).then(
      (c) => {
        conns[i] = c;
        freeAt.set(c, now());
        const next = queue.shift();
        if (next !== undefined) send(c, next);
        else maybeFinish();
      },
      (e: unknown) => {
        errors++;
        firstError ??= `reconnect: ${e instanceof Error ? e.message : String(e)}`;
        setTimeout(() => replace(dead), 50);
      },
    );
  };
  const dispatch = (): void => {
    const t = now();
    for (const intended of sched.takeDue(t)) {
      if (intended >= measureFrom) lateness.record(t - intended);
      queue.push(intended);
    }
    while (queue.length > 0) {
      let best: KeepAliveConn | undefined;
      for (const c of conns) {
        if (c.busy || c.isClosed) continue;
        if (best === undefined || (freeAt.get(c) ?? 0) < (freeAt.get(best) ?? 0)) best = c;
      }
      if (best === undefined) break;
      send(best, queue.shift()!);
    }
    const wait = sched.untilNextNs(now());
    if (wait === undefined) maybeFinish();
    else timer = setTimeout(dispatch, Math.floor(wait / 1e6));
  };
  // A saturated path queues without bound; stop draining after half the run again (at least 1 s)
  // and report what is left as `unsent` rather than let one run stretch the whole bench.
  const drainMs = Math.max(1000, (job.durationMs + job.warmupMs) / 2);
  const hardStop = setTimeout(() => finish(), job.durationMs + job.warmupMs + drainMs);
  function maybeFinish(): void {
    if (sched.untilNextNs(now()) === undefined && inFlight === 0 && queue.length === 0) finish();
  }
  dispatch();
  await finished;
  clearTimeout(hardStop);
  if (timer !== undefined) clearTimeout(timer);
  const seconds = (now() - measureFrom) / 1e9;
  for (const c of conns) c.close();
  return {
    mode: "rate",
    requests: charged.count,
    errors,
    badStatus: bad,
    seconds,
    rps: charged.count / seconds,
    latency: charged.summary(),
    latencyFromIntended: fromIntended.summary(),
    senderLateness: lateness.summary(),
    unsent: queue.length + inFlight,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Closed loop: each connection sends its next request as soon as the previous one completes. */
export async function runClosed(job: Extract<LoadJob, { mode: "closed" }>): Promise<LoadResult> {
  const t0 = now();
  const measureFrom = t0 + job.warmupMs * 1e6;
  const stopAt = measureFrom + job.durationMs * 1e6;
  const hist = new LatencyHistogram();
  let errors = 0;
  let bad = 0;
  let firstError: string | undefined;
  const loop = async (): Promise<void> => {
    let c = await KeepAliveConn.open(job.target);
    while (now() < stopAt) {
      const sent = now();
      const status = await new Promise<number>((r) =>
        c.send((err, st) => {
          if (err !== undefined) firstError ??= err;
          r(err === undefined ? st : -1);
        }),
      );
      const done = now();
      if (status < 0) {
        if (sent >= measureFrom) errors++;
        c = await KeepAliveConn.open(job.target);
        continue;
      }
      if (sent < measureFrom) continue;
      if (status < 200 || status > 299) bad++;
      hist.record(done - sent);
    }
    c.close();
  };
  await Promise.all(Array.from({ length: job.conns }, loop));
  const seconds = (now() - measureFrom) / 1e9;
  return {
    mode: "closed",
    requests: hist.count,
    errors,
    badStatus: bad,
    seconds,
    rps: hist.count / seconds,
    latency: hist.summary(),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** New-connection rate: each of `conns` loops does connect → 1 request → server closes, back to back. */
export async function runConnect(job: Extract<LoadJob, { mode: "connect" }>): Promise<LoadResult> {
  const t0 = now();
  const measureFrom = t0 + job.warmupMs * 1e6;
  const stopAt = measureFrom + job.durationMs * 1e6;
  const hist = new LatencyHistogram();
  let errors = 0;
  let bad = 0;
  let firstError: string | undefined;
  const loop = async (): Promise<void> => {
    while (now() < stopAt) {
      const start = now();
      try {
        // A stalled path must not hold the run for long past its window.
        const remainingMs = (stopAt - start) / 1e6;
        const status = await oneShot(job.target, Math.min(5000, Math.max(1000, remainingMs + 1000)));
        if (start < measureFrom) continue;
        if (status < 200 || status > 299) bad++;
        hist.record(now() - start);
      } catch (e) {
        firstError ??= e instanceof Error ? e.message : String(e);
        if (start >= measureFrom) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.conns }, loop));
  const seconds = (now() - measureFrom) / 1e9;
  return {
    mode: "connect",
    requests: hist.count,
    errors,
    badStatus: bad,
    seconds,
    rps: hist.count / seconds,
    latency: hist.summary(),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

export function runJob(job: LoadJob): Promise<LoadResult> {
  switch (job.mode) {
    case "rate":
      return runRate(job);
    case "closed":
      return runClosed(job);
    case "connect":
      return runConnect(job);
  }
}
