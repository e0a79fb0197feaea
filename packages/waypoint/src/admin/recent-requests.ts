/**
 * The last N access-log records, kept for `/config_dump` so "what just happened to my request"
 * (route, upstream, status, reason) is answerable without the log. Bounded memory.
 */
import type { AccessLogRecord } from "../telemetry/access-log.js";

export class RecentRequests {
  private readonly ring: AccessLogRecord[] = [];
  /** Requests seen since start. */
  count = 0;

  constructor(private readonly capacity = 100) {}

  add(r: AccessLogRecord): void {
    this.count++;
    this.ring.push(r);
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  list(): readonly AccessLogRecord[] {
    return [...this.ring];
  }
}
