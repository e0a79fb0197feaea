/**
 * The Node.js floor under the waypoint's CPU goal (issue #8: ≤ 0.25 vCPU per 1000 rps): what the
 * least an HTTP-aware HBONE relay written on Node's own http2 + llhttp costs on this machine, so
 * the waypoint's figure can be read against what the runtime itself needs.
 *
 *   npm run bench -- relay-floor [--reps 3] [--seconds 10] [--rps 1000] [--conns 16] [--profile DIR]
 *
 * `--profile DIR` writes a `--cpu-prof` of each relay (compare with the waypoint bench's).
 *
 * Same shape as `waypoint-dataplane.bench.ts` minus everything a mesh proxy adds: 16 HTTP/1.1
 * keep-alive streams inside h2 CONNECT over TLS → a relay in its own child process → h2 CONNECT
 * streams over TLS (one per request in flight, reused) → a backend answering 1 KiB. Three relays,
 * measured alternately:
 *
 * - `bytes`: copies DATA from each inbound stream to its own upstream stream and back (no HTTP).
 * - `http1`: parses each request and response with llhttp (Node's `_http_common.HTTPParser`, as
 *   the waypoint does), rebuilds both heads, picks a pooled upstream stream per request.
 * - `jsh2`: `http1` with HTTP/2 framed in JS on TLS sockets (`relay-floor-jsh2.ts`) instead of
 *   node:http2 on both sides: what owning the HBONE framing, inside the native-code rule, would save.
 *
 * No mTLS client certificates, routing, policy, metrics or access log: a floor, not a design.
 */
import { parseArgs } from "node:util";
import { load, type Mode, measureRelay, startFloor } from "./relay-floor-relay.js";
import { median } from "./report/results.js";

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      reps: { type: "string", default: "3" },
      seconds: { type: "string", default: "10" },
      rps: { type: "string", default: "1000" },
      conns: { type: "string", default: "16" },
      profile: { type: "string" },
    },
  });
  const [rps, secs, conns] = [Number(o.rps), Number(o.seconds), Number(o.conns)];
  const floor = await startFloor(["bytes", "http1", "jsh2"] as const, o.profile);
  const relays = floor.relays;
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    results[k] ??= [];
    results[k].push(v);
  };
  for (const r of Object.values(relays)) await load(r.port, rps, 2, conns); // warm-up (JIT)
  for (let rep = 0; rep < Number(o.reps); rep++) {
    const order: Mode[] = rep % 2 === 0 ? ["bytes", "http1", "jsh2"] : ["jsh2", "http1", "bytes"];
    for (const mode of order) {
      const m = await measureRelay(relays[mode], rps, secs, conns);
      add(`${mode}_vcpu_per_1000rps`, m.vcpuPer1000rps);
      add(`${mode}_p50_ms`, m.p50);
      add(`${mode}_p99_ms`, m.p99);
      add(`${mode}_lost`, m.lost);
    }
  }
  floor.stop();
  for (const [k, v] of Object.entries(results)) {
    const med = median(v);
    process.stdout.write(
      `${k.padEnd(26)} ${med.toFixed(4).padStart(10)}   [${v.map((x) => x.toFixed(3)).join(", ")}]\n`,
    );
  }
}

await main();
process.exit(0);
