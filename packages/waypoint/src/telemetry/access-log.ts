/** One access-log record per request (one JSON line): enough to explain any status without a debugger. */
export interface AccessLogRecord {
  readonly start_time: string;
  readonly duration_ms: number;
  readonly protocol: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly response_code: number;
  readonly response_flags: string;
  /** Route name (`ns/route/rule`), "-" when none matched. */
  readonly route: string;
  /** `ip:port` of the endpoint used, "-" when none. */
  readonly upstream: string;
  readonly upstream_service: string;
  /** Why the waypoint answered itself (denied, no route, timeout, fault, …), "-" otherwise. */
  readonly reason: string;
  readonly attempts: number;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  readonly source_principal: string;
  readonly destination_service: string;
}

export type AccessLogSink = (record: AccessLogRecord) => void;

let pending = "";
let scheduled = false;
const flush = () => {
  scheduled = false;
  if (pending.length === 0) return;
  const out = pending;
  pending = "";
  process.stdout.write(out);
};
process.once("exit", flush);

/**
 * Default sink: one JSON line per request on stdout (the process's access log stream). Lines of
 * one event-loop turn go out in one write (`setImmediate`): stdout to a pipe or file is a
 * synchronous syscall in Node, one per request at 1000 rps otherwise.
 */
export const stdoutAccessLog: AccessLogSink = (r) => {
  pending += `${JSON.stringify(r)}\n`;
  if (pending.length > 64 * 1024) flush();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
};
