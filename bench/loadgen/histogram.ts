/**
 * Log-linear latency histogram in the spirit of HdrHistogram: values (integer nanoseconds) below
 * 2^SUB_BITS are exact; above, each power of two is split into 2^(SUB_BITS-1) equal buckets, so
 * every recorded value is known to within 1/64 (1.6 %) whatever its magnitude. Recording is O(1)
 * and allocation-free, which keeps the generator's own cost off the measured latency.
 */
export const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const HALF = SUB >> 1; // 64
/** Largest octave we keep (2^40 ns ≈ 18 min); anything larger is clamped into the last bucket. */
const MAX_MSB = 40;
const SIZE = (MAX_MSB - SUB_BITS + 2) * HALF + SUB;

/** Bucket index of a value in nanoseconds. */
export function bucketIndex(ns: number): number {
  const v = Math.max(0, Math.floor(ns));
  if (v < SUB) return v;
  const msb = Math.min(Math.floor(Math.log2(v)), MAX_MSB);
  const shift = msb - SUB_BITS + 1;
  const sub = Math.min(Math.floor(v / 2 ** shift), SUB - 1); // in [HALF, SUB)
  return shift * HALF + sub;
}

/** Inclusive lower bound and width of a bucket. */
export function bucketRange(index: number): { lo: number; width: number } {
  if (index < SUB) return { lo: index, width: 1 };
  const shift = Math.floor((index - SUB) / HALF) + 1;
  const sub = index - shift * HALF;
  return { lo: sub * 2 ** shift, width: 2 ** shift };
}

/** Percentiles the bench reports. */
export const PERCENTILES = [50, 90, 99, 99.9] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface HistogramSummary {
  readonly count: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Keyed "p50", "p90", "p99", "p99.9". */
  readonly percentilesMs: Record<string, number>;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(SIZE);
  private n = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;

  record(ns: number): void {
    const i = Math.min(bucketIndex(ns), SIZE - 1);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
    this.sum += ns;
    if (ns < this.min) this.min = ns;
    if (ns > this.max) this.max = ns;
  }

  get count(): number {
    return this.n;
  }

  /**
   * Value at percentile `p` (0..100], in ns: the midpoint of the bucket holding the ceil(p·n/100)-th
   * smallest sample, clamped to the observed min/max so a sparse tail is never over-stated.
   */
  valueAt(p: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        const { lo, width } = bucketRange(i);
        return Math.min(Math.max(lo + (width - 1) / 2, this.min), this.max);
      }
    }
    return this.max;
  }

  /** Adds another histogram's samples (e.g. one per connection). */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < SIZE; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.n += other.n;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  summary(): HistogramSummary {
    const ms = (ns: number): number => ns / 1e6;
    const percentilesMs: Record<string, number> = {};
    for (const p of PERCENTILES) percentilesMs[`p${p}`] = ms(this.valueAt(p));
    return {
      count: this.n,
      minMs: this.n === 0 ? Number.NaN : ms(this.min),
      maxMs: this.n === 0 ? Number.NaN : ms(this.max),
      meanMs: this.n === 0 ? Number.NaN : ms(this.sum / this.n),
      percentilesMs,
    };
  }
}
