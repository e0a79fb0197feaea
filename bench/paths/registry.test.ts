import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BenchPath } from "./bench-path.js";
import { discoverPaths, orderPaths, selectPaths } from "./registry.js";

const fake = (name: string, kind: BenchPath["kind"]): BenchPath => ({
  name,
  kind,
  description: name,
  needs: [],
  setup: () => Promise.reject(new Error("not in this test")),
  teardown: () => Promise.resolve(),
});

describe("orderPaths", () => {
  it("puts the baseline first, then peers, then ambit paths, by name", () => {
    const got = orderPaths([
      fake("ambit-l4", "ambit"),
      fake("z-peer", "peer"),
      fake("direct", "baseline"),
      fake("a-peer", "peer"),
    ]);
    assert.deepEqual(
      got.map((p) => p.name),
      ["direct", "a-peer", "z-peer", "ambit-l4"],
    );
  });
  it("rejects duplicates, bad names and a missing or second baseline", () => {
    assert.throws(
      () => orderPaths([fake("direct", "baseline"), fake("x", "peer"), fake("x", "peer")]),
      /duplicate/,
    );
    assert.throws(() => orderPaths([fake("direct", "baseline"), fake("Bad Name", "peer")]), /kebab-case/);
    assert.throws(() => orderPaths([fake("x", "peer")]), /exactly one baseline path, found 0/);
    assert.throws(() => orderPaths([fake("a", "baseline"), fake("b", "baseline")]), /found 2/);
  });
});

describe("selectPaths", () => {
  const all = [fake("direct", "baseline"), fake("go-hbone", "peer"), fake("nginx-mtls", "peer")];
  it("keeps the baseline with the chosen paths", () => {
    assert.deepEqual(
      selectPaths(all, ["nginx-mtls"]).map((p) => p.name),
      ["direct", "nginx-mtls"],
    );
    assert.equal(selectPaths(all, undefined).length, 3);
  });
  it("leaves fullOnly paths out of a quick run unless they are named", () => {
    const heavy: BenchPath = { ...fake("ambit-waypoint", "ambit"), fullOnly: true };
    const withHeavy = [...all, heavy];
    assert.deepEqual(
      selectPaths(withHeavy, undefined, true).map((p) => p.name),
      ["direct", "go-hbone", "nginx-mtls"],
    );
    assert.equal(selectPaths(withHeavy, undefined, false).length, 4);
    assert.deepEqual(
      selectPaths(withHeavy, ["ambit-waypoint"], true).map((p) => p.name),
      ["direct", "ambit-waypoint"],
    );
  });
  it("names unknown paths and the known ones", () => {
    assert.throws(
      () => selectPaths(all, ["envoy"]),
      /unknown path\(s\): envoy \(known: direct, go-hbone, nginx-mtls\)/,
    );
  });
});

describe("discoverPaths", () => {
  it("finds the real paths in bench/paths, each complete", async () => {
    const paths = await discoverPaths();
    const names = paths.map((p) => p.name);
    assert.equal(names[0], "direct");
    for (const n of ["go-hbone", "nghttpx-hbone", "nginx-mtls"]) assert.ok(names.includes(n), n);
    for (const p of paths) {
      assert.ok(p.description.length > 10, p.name);
      assert.equal(typeof p.setup, "function");
      for (const n of p.needs) assert.ok(n.bin !== "" && n.pkg !== "", p.name);
    }
  });
});
