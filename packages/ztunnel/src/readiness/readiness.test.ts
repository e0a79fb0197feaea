import assert from "node:assert/strict";
import { test } from "node:test";
import { decideReadiness, readinessRoute } from "./readiness.js";

test("readiness: every input must hold; reasons name what is missing", () => {
  const cases = [
    { in: { bootstrapped: true, xdsSynced: true, inpodReady: true }, ready: true, reasons: 0 },
    { in: { bootstrapped: true, xdsSynced: true, inpodReady: undefined }, ready: true, reasons: 0 },
    { in: { bootstrapped: false, xdsSynced: false, inpodReady: false }, ready: false, reasons: 3 },
    { in: { bootstrapped: true, xdsSynced: false, inpodReady: true }, ready: false, reasons: 1 },
    { in: { bootstrapped: true, xdsSynced: true, inpodReady: false }, ready: false, reasons: 1 },
  ];
  for (const c of cases) {
    const r = decideReadiness(c.in);
    assert.equal(r.ready, c.ready, JSON.stringify(c.in));
    assert.equal(r.reasons.length, c.reasons, JSON.stringify(c.in));
  }
  const notReady = decideReadiness({ bootstrapped: true, xdsSynced: true, inpodReady: false });
  assert.match(notReady.reasons[0] ?? "", /ZDS snapshot/);
});

test("readiness route: 200/503 on /healthz/ready, 404 elsewhere", () => {
  const ok = decideReadiness({ bootstrapped: true, xdsSynced: true, inpodReady: undefined });
  const no = decideReadiness({ bootstrapped: true, xdsSynced: false, inpodReady: undefined });
  assert.equal(readinessRoute(ok, new URL("http://x/healthz/ready")).code, 200);
  assert.equal(readinessRoute(no, new URL("http://x/healthz/ready")).code, 503);
  assert.equal(readinessRoute(ok, new URL("http://x/other")).code, 404);
});
