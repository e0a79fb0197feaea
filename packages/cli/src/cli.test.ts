import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { statePaths } from "@ambit/local";
import { useTempDirs } from "@ambit/testing";
import { runCli } from "./cli.js";
import type { Io } from "./context.js";
import { formatTable } from "./format.js";
import { cmdLogs, resolveLog } from "./logs.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

function capture(): Io & { text: () => string } {
  let buf = "";
  return { out: (t) => (buf += t), err: (t) => (buf += t), text: () => buf };
}

describe("ambit CLI", () => {
  it("refuses to run without root, at once and clearly", async () => {
    const orig = process.getuid;
    process.getuid = () => 1000;
    try {
      for (const argv of [["up"], ["demo"], ["down"], ["status"], ["exec", "x", "--", "true"]]) {
        const io = capture();
        assert.equal(await runCli(["--state-dir", "/nonexistent", ...argv], io), 1, argv.join(" "));
        assert.match(io.text(), /^ambit: .*needs root/);
      }
    } finally {
      if (orig !== undefined) process.getuid = orig;
    }
  });

  it("rejects unknown commands and bad flags with usage exit code 2", async () => {
    assert.equal(await runCli(["frobnicate"], capture()), 2);
    assert.equal(await runCli(["up", "--nodes", "x"], capture()), 2);
    const io = capture();
    assert.equal(await runCli(["--help"], io), 0);
    assert.match(io.text(), /up .*\n[\s\S]*demo/);
  });

  it("reports bad manifests with their file before touching anything", async () => {
    const dir = tempDir("ambit-cli-");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n");
    const io = capture();
    assert.equal(await runCli(["--state-dir", join(dir, "state"), "up", "-f", bad], io), 1);
    assert.match(io.text(), /bad\.yaml: document 1 \(Pod\).*command/);
  });

  it("status and down say so when there is no cluster", async () => {
    const dir = tempDir("ambit-cli-");
    const io = capture();
    assert.equal(await runCli(["--state-dir", dir, "status"], io), 0);
    assert.equal(await runCli(["--state-dir", dir, "down"], io), 0);
    assert.match(io.text(), /no ambit cluster in .*ambit up[\s\S]*nothing to remove/);
  });

  it("exec needs a command and a known pod", async () => {
    const dir = tempDir("ambit-cli-");
    const io = capture();
    assert.equal(await runCli(["--state-dir", dir, "exec", "sleep"], io), 2);
    assert.match(io.text(), /give a command after --/);
    assert.equal(await runCli(["--state-dir", dir, "exec", "sleep", "--", "true"], io), 1);
    assert.match(io.text(), /no pod matches sleep/);
  });
});

describe("logs", () => {
  it("resolves component names, unique prefixes and reports ambiguity", () => {
    const dir = tempDir("ambit-logs-");
    const paths = statePaths(dir);
    mkdirSync(paths.logsDir);
    for (const n of ["control-plane", "ztunnel-node-1", "ztunnel-node-2", "runtime"]) {
      writeFileSync(join(paths.logsDir, `${n}.log`), "x\n");
    }
    assert.equal(resolveLog(paths, "control-plane", {}), "control-plane");
    assert.equal(resolveLog(paths, "control", {}), "control-plane");
    assert.throws(() => resolveLog(paths, "ztunnel", {}), /ambiguous: ztunnel-node-1, ztunnel-node-2/);
    assert.throws(() => resolveLog(paths, "nope", {}), /no log named nope; available: control-plane/);
  });
});

describe("formatTable", () => {
  it("pads columns to the widest cell", () => {
    assert.equal(formatTable(["A", "BB"], [["xxx", "y"]]), "A    BB\nxxx  y");
  });
});

describe("logs -f", () => {
  it("prints the tail, then what is appended, until aborted", async () => {
    const dir = tempDir("ambit-logs-");
    const paths = statePaths(dir);
    mkdirSync(paths.logsDir);
    const file = join(paths.logsDir, "runtime.log");
    writeFileSync(file, "one\ntwo\nthree\n");
    const io = capture();
    const ac = new AbortController();
    const done = cmdLogs(paths, io, "runtime", { follow: true, tail: 2, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(file, "four\n");
    await new Promise((r) => setTimeout(r, 600));
    ac.abort();
    await done;
    assert.equal(io.text(), "two\nthree\nfour\n");
  });
});
