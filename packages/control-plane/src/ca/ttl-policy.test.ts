import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideTtl } from "./ttl-policy.js";

describe("decideTtl", () => {
  const policy = { defaultSeconds: 86_400, maxSeconds: 7_200 };
  const cases: [string, bigint | number, number, boolean][] = [
    ["zero → default (bounded by max)", 0n, 7_200, false],
    ["negative → default", -5n, 7_200, false],
    ["within bounds", 60n, 60, false],
    ["exactly max", 7_200n, 7_200, false],
    ["above max → clamped", 7_201n, 7_200, true],
    ["huge int64 → clamped", 9_223_372_036_854_775_807n, 7_200, true],
    ["number input", 3, 3, false],
  ];
  for (const [name, req, ttl, clamped] of cases) {
    it(name, () => assert.deepEqual(decideTtl(req, policy), { ttlSeconds: ttl, clamped }));
  }
  it("default below max is used as is", () => {
    assert.deepEqual(decideTtl(0n, { defaultSeconds: 10, maxSeconds: 100 }), {
      ttlSeconds: 10,
      clamped: false,
    });
  });
});
