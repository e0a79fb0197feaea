/**
 * The last N access-log lines, kept for `/config_dump` so "what just happened to my connection"
 * (both SPIFFE identities, bytes, reason) is answerable without reading logs. Bounded: a flood of
 * connections costs a fixed amount of memory.
 */
export class RecentConnections {
  private readonly lines: Record<string, unknown>[] = [];
  private total = 0;

  constructor(private readonly capacity = 256) {}

  add(line: Record<string, unknown>): void {
    this.total++;
    this.lines.push({ ...line, at: new Date().toISOString() });
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** Oldest first. */
  list(): readonly Record<string, unknown>[] {
    return [...this.lines];
  }

  /** Lines seen since start (including those dropped from the buffer). */
  get count(): number {
    return this.total;
  }
}
