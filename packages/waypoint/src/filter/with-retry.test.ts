import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import type { Route } from "../config/types.js";
import { route } from "../testdata/fixtures.js";
import { WaypointError } from "../waypoint-error.js";
import { Cancel } from "./cancel.js";
import type { Handler, L7Request, L7Response, RequestContext } from "./types.js";
import { withMirror } from "./with-mirror.js";
import { withRetry } from "./with-retry.js";

const req = (body: Buffer | Readable = Buffer.alloc(0)): L7Request => ({
  protocol: "http1",
  method: "GET",
  path: "/",
  search: "",
  authority: "svc:80",
  headers: {},
  body,
});
const ok = (status = 200): L7Response => ({ status, headers: {}, body: Buffer.alloc(0) });
/** Only what the layers under test read; the rest is not touched by them. */
const ctx = (r: Route, rand: () => number = Math.random): RequestContext =>
  ({
    route: r,
    signal: new Cancel(),
    rand,
    notes: { upstream: undefined, upstreamService: undefined, flags: [], reason: undefined, attempts: 0 },
  }) as unknown as RequestContext;

/** A backend that answers each attempt from `script` ("hang" = until the attempt is cancelled). */
function scripted(script: (number | "hang" | WaypointError)[]) {
  const starts: number[] = [];
  const t0 = performance.now();
  const h: Handler = (_r, c) => {
    starts.push(performance.now() - t0);
    const step = script[starts.length - 1] ?? 200;
    if (step instanceof WaypointError) return Promise.reject(step);
    if (step === "hang")
      return new Promise((_res, rej) =>
        c.signal.addEventListener("abort", () => rej(c.signal.reason), { once: true }),
      );
    return Promise.resolve(ok(step));
  };
  return { h, starts };
}

describe("withRetry on the request path (per-try timeout, retried failures, backoff)", () => {
  it("timeouts.backendRequest cancels each attempt; the retry gets its own; URX when they run out", async () => {
    const b = scripted(["hang", "hang"]);
    const c = ctx(
      route("r", { backendTimeoutMs: 60, retry: { attempts: 1, codes: new Set([503]), backoffMs: 5 } }),
    );
    await assert.rejects(
      withRetry(b.h)(req(), c),
      (e: WaypointError) => e.code === "upstream_timeout" && e.status === 504,
    );
    assert.equal(c.notes.attempts, 2);
    assert.deepEqual(c.notes.flags, ["URX"]);
    assert.ok((b.starts[1] ?? 0) >= 60, `second attempt only after the first timed out: ${b.starts}`);
  });

  it("a backend timeout without retry is one attempt, 504", async () => {
    const b = scripted(["hang"]);
    const c = ctx(route("r", { backendTimeoutMs: 30 }));
    await assert.rejects(withRetry(b.h)(req(), c), (e: WaypointError) => e.code === "upstream_timeout");
    assert.equal(c.notes.attempts, 1);
    assert.deepEqual(c.notes.flags, []);
  });

  it("a connect failure is retried; a slow attempt then a fast one succeeds", async () => {
    const b = scripted([new WaypointError("upstream_connect_failed", "refused"), "hang", 200]);
    const c = ctx(
      route("r", { backendTimeoutMs: 40, retry: { attempts: 2, codes: new Set([503]), backoffMs: 1 } }),
    );
    assert.equal((await withRetry(b.h)(req(), c)).status, 200);
    assert.equal(c.notes.attempts, 3);
    assert.deepEqual(c.notes.flags, []);
  });

  it("backoff doubles between tries (40 ms, then 80 ms)", async () => {
    const b = scripted([503, 503, 200]);
    const c = ctx(route("r", { retry: { attempts: 2, codes: new Set([503]), backoffMs: 40 } }));
    assert.equal((await withRetry(b.h)(req(), c)).status, 200);
    const [s0 = 0, s1 = 0, s2 = 0] = b.starts;
    assert.ok(s1 - s0 >= 38 && s2 - s1 >= 78, `gaps ${s1 - s0}, ${s2 - s1}`);
  });

  it("not retried: a status outside codes, a non-retriable error, a streaming body", async () => {
    const policy = { attempts: 3, codes: new Set([503]), backoffMs: 1 };
    const a = scripted([500]);
    const c1 = ctx(route("r", { retry: policy }));
    assert.equal((await withRetry(a.h)(req(), c1)).status, 500);
    assert.equal(c1.notes.attempts, 1);
    const n = scripted([new WaypointError("no_healthy_upstream", "none")]);
    await assert.rejects(withRetry(n.h)(req(), ctx(route("r", { retry: policy }))), /none/);
    assert.equal(n.starts.length, 1);
    const s = scripted([503, 200]);
    assert.equal(
      (await withRetry(s.h)(req(Readable.from(["x"])), ctx(route("r", { retry: policy })))).status,
      503,
    );
    assert.equal(s.starts.length, 1);
  });
});

describe("withMirror", () => {
  it("mirrors the sampled share only (percent against the injected random), to a -shadow host", async () => {
    const seen: string[] = [];
    const mirror =
      (hostname: string): Handler =>
      (r) => {
        seen.push(`${hostname} ${r.authority}`);
        return Promise.resolve(ok());
      };
    const r = route("r", { mirrors: [{ hostname: "copy.ns.svc.cluster.local", port: 80, percent: 30 }] });
    const rolls = [0.1, 0.5, 0.29, 0.3, 0.99];
    let i = 0;
    const handler = withMirror((h) => mirror(h))(() => Promise.resolve(ok()));
    for (const _ of rolls)
      await handler(
        req(),
        ctx(r, () => rolls[i++] as number),
      );
    assert.deepEqual(seen, [
      "copy.ns.svc.cluster.local svc-shadow:80",
      "copy.ns.svc.cluster.local svc-shadow:80",
    ]);
  });
});
