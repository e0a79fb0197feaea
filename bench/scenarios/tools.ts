import type { NetnsHarness } from "@ambit/testing";
import { BenchError } from "../bench-error.js";
import type { Endpoint } from "../paths/bench-path.js";

/** Receiver-side throughput of an `iperf3 -J` run, in Gbit/s. */
export function parseIperfJson(text: string): number {
  let j: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    throw new BenchError("tool_output", `iperf3: not JSON: ${text.slice(0, 200)}`);
  }
  if (j.error !== undefined) throw new BenchError("tool_output", `iperf3: ${j.error}`);
  const bps = j.end?.sum_received?.bits_per_second;
  if (typeof bps !== "number")
    throw new BenchError("tool_output", "iperf3: no end.sum_received.bits_per_second");
  return bps / 1e9;
}

/**
 * One TCP stream for `seconds`, client in `ns` (the client pod). Client tools run under
 * `setsid -w` so that, with autogroup scheduling, they get their own CPU share like the proxies.
 */
export async function runIperf(
  h: NetnsHarness,
  ns: string,
  target: Endpoint,
  seconds: number,
): Promise<number> {
  const args = [
    "setsid",
    "-w",
    "iperf3",
    "-c",
    target.ip,
    "-p",
    String(target.port),
    "-t",
    String(seconds),
    "-J",
    "--connect-timeout",
    "3000",
  ];
  try {
    const { stdout } = await h.exec(ns, args, { timeoutMs: (seconds + 15) * 1000 });
    return parseIperfJson(stdout);
  } catch (e) {
    // iperf3 -J prints its JSON (with "error") on stdout even when it exits non-zero.
    const out = (e as { cause?: { stdout?: string } }).cause?.stdout;
    if (typeof out === "string" && out.trim().startsWith("{")) parseIperfJson(out);
    throw e;
  }
}

export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  /** Socket errors + non-2xx/3xx responses. */
  readonly errors: number;
}

/** Parses wrk's text report (`Requests/sec:`, `N requests in`, `Socket errors:`, `Non-2xx`). */
export function parseWrkOutput(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)?.[1];
  const reqs = /(\d+) requests in/.exec(text)?.[1];
  if (rps === undefined || reqs === undefined)
    throw new BenchError("tool_output", `wrk: unexpected output: ${text.slice(0, 300)}`);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (sock !== null) errors += sock.slice(1).reduce((s, x) => s + Number(x), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
  if (non2xx !== undefined) errors += Number(non2xx);
  return { rps: Number(rps), requests: Number(reqs), errors };
}

/** Closed-loop max rate with wrk (2 threads, `conns` keep-alive connections) from `ns`. */
export async function runWrk(
  h: NetnsHarness,
  ns: string,
  target: Endpoint,
  seconds: number,
  conns: number,
): Promise<WrkResult> {
  const url = `http://${target.ip}:${target.port}/1k`;
  const { stdout } = await h.exec(
    ns,
    ["setsid", "-w", "wrk", "-t2", `-c${conns}`, `-d${seconds}s`, "--timeout", "5s", url],
    {
      timeoutMs: (seconds + 15) * 1000,
    },
  );
  return parseWrkOutput(stdout);
}
