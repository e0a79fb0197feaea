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

/** Default sink: one JSON line on stdout (the process's access log stream). */
export const stdoutAccessLog: AccessLogSink = (r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
};
