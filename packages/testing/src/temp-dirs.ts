import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/**
 * Returns a `tempDir(prefix)` factory whose directories are removed when the calling test file's
 * tests end (one `after` hook per call). Call it once at module level.
 */
export function useTempDirs(): (prefix: string) => string {
  const temps: string[] = [];
  after(() => {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });
  return (prefix: string): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    temps.push(d);
    return d;
  };
}
