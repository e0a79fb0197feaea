import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchPlan, parseBenchOptions } from "./bench-options.js";

describe("parseBenchOptions", () => {
  it("defaults to a full run of every path", () => {
    assert.deepEqual(parseBenchOptions([], "out"), {
      quick: false,
      paths: undefined,
      reps: undefined,
      outDir: "out",
      noInstall: false,
      help: false,
    });
  });
  it("reads every flag, in both --x v and --x=v forms", () => {
    const o = parseBenchOptions(
      ["--quick", "--paths", "go-hbone, nginx-mtls", "--reps=4", "--out=/tmp/x", "--no-install"],
      "out",
    );
    assert.deepEqual(o, {
      quick: true,
      paths: ["go-hbone", "nginx-mtls"],
      reps: 4,
      outDir: "/tmp/x",
      noInstall: true,
      help: false,
    });
  });
  const bad: [string[], RegExp][] = [
    [["--fast"], /unknown option --fast/],
    [["--reps", "0"], /--reps must be 1\.\.50/],
    [["--reps", "2.5"], /--reps must be/],
    [["--paths"], /--paths needs a value/],
    [["--out="], /--out needs a value/],
  ];
  for (const [argv, re] of bad) {
    it(`rejects ${argv.join(" ")}`, () => assert.throws(() => parseBenchOptions(argv, "out"), re));
  }
});

describe("benchPlan", () => {
  it("repeats at least 3 times quick and 5 times full", () => {
    assert.equal(benchPlan({ quick: true, reps: undefined }).reps, 3);
    assert.equal(benchPlan({ quick: false, reps: undefined }).reps, 5);
    assert.equal(benchPlan({ quick: true, reps: 7 }).reps, 7);
  });
  it("measures 1000 and 5000 rps over 4 connections, iperf3 1 s quick / 5 s full", () => {
    const q = benchPlan({ quick: true, reps: undefined });
    const f = benchPlan({ quick: false, reps: undefined });
    assert.deepEqual([q.rates, q.rateConns, q.iperfSeconds, f.iperfSeconds], [[1000, 5000], 4, 1, 5]);
  });
});
