import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { appArgv, buildIsStale } from "./app-argv.js";

function repo(): string {
  const root = mkdtempSync(join(tmpdir(), "ambit-app-argv-"));
  mkdirSync(join(root, "packages", "app", "src", "testdata"), { recursive: true });
  mkdirSync(join(root, "packages", "app", "dist"), { recursive: true });
  mkdirSync(join(root, "packages", "unbuilt", "src"), { recursive: true });
  writeFileSync(join(root, "packages", "app", "src", "main.ts"), "");
  writeFileSync(join(root, "packages", "app", "src", "main.test.ts"), "");
  writeFileSync(join(root, "packages", "app", "src", "testdata", "fixture.ts"), "");
  writeFileSync(join(root, "packages", "unbuilt", "src", "x.ts"), "");
  return root;
}

test("buildIsStale: missing or older outputs are stale; tests, testdata and unbuilt packages are not", (t) => {
  const root = repo();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, "packages", "app", "dist", "main.js");
  assert.equal(buildIsStale(root), true, "no main.js yet");
  writeFileSync(out, "");
  const src = join(root, "packages", "app", "src", "main.ts");
  utimesSync(src, new Date(1_000_000), new Date(1_000_000));
  assert.equal(buildIsStale(root), false);
  utimesSync(out, new Date(500_000), new Date(500_000));
  assert.equal(buildIsStale(root), true, "output older than its source");
  // tsc -b saw the source after its change but left the unchanged .js alone: fresh.
  const info = join(root, "packages", "app", "dist", ".tsbuildinfo");
  writeFileSync(info, "");
  utimesSync(info, new Date(2_000_000), new Date(2_000_000));
  assert.equal(buildIsStale(root), false, "build info newer than the source");
  utimesSync(info, new Date(800_000), new Date(800_000));
  assert.equal(buildIsStale(root), true, "build info older than the source");
  rmSync(out);
  utimesSync(info, new Date(2_000_000), new Date(2_000_000));
  assert.equal(buildIsStale(root), true, "a missing output is stale whatever the build info says");
});

test("appArgv: built main only when fresh, else the source through tsx", (t) => {
  const root = repo();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const src = join(root, "packages", "app", "src", "main.ts");
  assert.deepEqual(appArgv(root, "app"), [process.execPath, "--conditions=source", "--import", "tsx", src]);
  const out = join(root, "packages", "app", "dist", "main.js");
  writeFileSync(out, "");
  utimesSync(src, new Date(1_000_000), new Date(1_000_000));
  assert.deepEqual(appArgv(root, "app"), [process.execPath, out]);
});
