import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Compares `actual` with the golden file; `UPDATE_GOLDEN=1` rewrites it instead. A missing golden
 * file fails (never silently created) unless updating.
 */
export function assertGolden(path: string, actual: string): void {
  if (process.env["UPDATE_GOLDEN"] === "1") {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} missing: run with UPDATE_GOLDEN=1`);
  assert.equal(actual, readFileSync(path, "utf8"), `output differs from ${path} (UPDATE_GOLDEN=1 to accept)`);
}
