import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ZC_VIEWS, zcSection, zcTable } from "./zc.js";

const dump = JSON.parse(
  readFileSync(new URL("./testdata/config-dump.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

describe("ambit zc tables", () => {
  it("render every view of a real ztunnel config dump", () => {
    const dumps = new Map([["node-1", dump]]);
    const text = ZC_VIEWS.map((v) => `## ${v}\n${zcTable(v, dumps)}\n`).join("\n");
    const url = new URL("./testdata/zc-tables.golden.txt", import.meta.url);
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(url, text);
    assert.equal(text, readFileSync(url, "utf8"), "golden zc-tables (UPDATE_GOLDEN=1 regenerates)");
    assert.match(text, /bookinfo +reviews +10\.96\.0\.13 +9080 +3/, "reviews has three endpoints");
    assert.match(text, /deny-sleep-to-ratings +DENY/);
  });

  it("json/yaml output carries the raw sections; connections = open + recent", () => {
    assert.deepEqual(zcSection("workloads", dump), dump["workloads"]);
    const c = zcSection("connections", dump) as { open: unknown[]; recent: unknown[] };
    assert.deepEqual(c.recent, dump["recentConnections"]);
    assert.deepEqual(zcSection("policies", {}), []);
  });
});
