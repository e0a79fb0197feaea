import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTempDirs } from "@ambit/testing";
import { LocalError } from "../local-error.js";
import { assertCanRun, run, which } from "./run.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

function withUid<T>(uid: number, fn: () => T): T {
  const orig = process.getuid;
  process.getuid = () => uid;
  try {
    return fn();
  } finally {
    if (orig !== undefined) process.getuid = orig;
  }
}

describe("assertCanRun", () => {
  it("stops at once without root, saying why", () => {
    assert.throws(
      () => withUid(1000, () => assertCanRun()),
      (e: unknown) => e instanceof LocalError && e.code === "not_root" && /needs root/.test(e.message),
    );
  });

  it("names missing tools and points at the setup script", () => {
    const empty = tempDir("ambit-nopath-");
    assert.throws(
      () => withUid(0, () => assertCanRun({ searchPath: [empty] })),
      (e: unknown) =>
        e instanceof LocalError &&
        e.code === "missing_tool" &&
        /ip, nft/.test(e.message) &&
        /scripts\/setup-system\.sh/.test(e.message),
    );
  });

  it("finds tools on a search path", () => {
    assert.equal(which("sh", ["/nonexistent", "/bin", "/usr/bin"])?.endsWith("/sh"), true);
    assert.equal(which("surely-not-a-command-ambit", ["/bin"]), undefined);
  });
});

describe("run", () => {
  it("rejects with the command line and stderr", async () => {
    await assert.rejects(
      run("sh", ["-c", "echo boom >&2; exit 4"]),
      (e: unknown) =>
        e instanceof LocalError && e.code === "command_failed" && /sh -c .*boom/.test(e.message),
    );
    assert.equal((await run("sh", ["-c", "echo hi"])).stdout, "hi\n");
  });
});
