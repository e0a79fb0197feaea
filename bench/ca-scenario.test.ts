import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseBenchOptions } from "./bench-options.js";
import { caScenario, runCaScenario } from "./ca-scenario.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

describe("CA scenario of npm run bench", () => {
  const out = mkdtempSync(join(tmpdir(), "ambit-ca-scenario-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  it("quick runs and --paths subsets leave it out and say why", () => {
    const quick = caScenario(parseBenchOptions(["--quick"], out), repoRoot);
    assert.equal(quick.status, "skipped");
    assert.match(quick.status === "skipped" ? quick.reason : "", /--quick leaves the CA scenario out/);
    const some = caScenario(parseBenchOptions(["--paths", "ambit-l4"], out), repoRoot);
    assert.equal(some.status, "skipped");
    assert.match(some.status === "skipped" ? some.reason : "", /npm run bench -- ca/);
  });

  it("runs the ca suite in its own process and reads both figures back", () => {
    const small = ["--certs", "40", "--concurrency", "4", "--identities", "10"];
    const s = runCaScenario(repoRoot, out, small);
    assert.equal(s.status, "ok", JSON.stringify(s));
    if (s.status !== "ok") return;
    assert.equal(s.result.certsIssued, 40);
    assert.ok(s.result.certsPerSecond > 0, "a rate");
    assert.equal(s.result.identitiesAvailable, 10);
    assert.ok(s.result.timeUntilAllHeldMs > 0, "a time");
    assert.deepEqual(readdirSync(out), [], "the suite's JSON file is removed");
  });

  it("a failing suite is a failed section, not a crash", () => {
    const s = runCaScenario(repoRoot, out, ["--no-such-flag"]);
    assert.equal(s.status, "failed");
    assert.match(s.status === "failed" ? s.reason : "", /bench\/ca\.bench\.ts: exit 1: .*no-such-flag/);
  });
});
