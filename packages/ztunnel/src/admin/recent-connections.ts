/**
 * The last N access-log lines, kept for `/config_dump` so "what just happened to my connection"
 * (both SPIFFE identities, bytes, reason) is answerable without reading logs. Bounded: a flood of
 * connections costs a fixed amount of memory.
 */
export class RecentConnections {
  /** Ring buffer: `total % capacity` is the next slot (no per-connection array shifting). */
  private readonly lines: Record<string, unknown>[] = [];
  private total = 0;

  constructor(private readonly capacity = 256) {}

  add(line: Record<string, unknown>): void {
    const entry = { ...line, at: new Date().toISOString() };
    if (this.lines.length < this.capacity) this.lines.push(entry);
    else this.lines[this.total % this.capacity] = entry;
    this.total++;
  }

  /** Oldest first. */
  list(): readonly Record<string, unknown>[] {
    if (this.lines.length < this.capacity) return [...this.lines];
    const head = this.total % this.capacity;
    return [...this.lines.slice(head), ...this.lines.slice(0, head)];
  }

  /** Lines seen since start (including those dropped from the buffer). */
  get count(): number {
    return this.total;
  }
}
