/**
 * A bootstrap file (node token) that the local runtime may rewrite while a proxy runs: read on
 * demand, re-read only when (inode, size, mtime) changed, so calling it per request costs one
 * `stat`. Shared by ztunnel and the waypoint, which both authenticate with their node's token.
 */
import { readFileSync, statSync } from "node:fs";

/**
 * A getter for `path`'s trimmed text. While the file is missing or unreadable it returns the last
 * text read (undefined before the first successful read).
 */
export function watchedFileText(path: string): () => string | undefined {
  let key = "";
  let text: string | undefined;
  return () => {
    try {
      const st = statSync(path);
      const k = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (k !== key) {
        text = readFileSync(path, "utf8").trim();
        key = k;
      }
    } catch {
      return text;
    }
    return text;
  };
}

/** Exists and is not empty (a file being written non-atomically may be seen empty first). */
function present(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

/**
 * Wait (polling every `intervalMs`) until every path exists and is not empty; false when
 * `stopped()` turned true first. `onWaiting` is told the missing paths once, so the log says what
 * a process waits for.
 */
export async function waitForFiles(
  paths: readonly string[],
  stopped: () => boolean,
  onWaiting?: (missing: readonly string[]) => void,
  intervalMs = 200,
): Promise<boolean> {
  let told = false;
  while (!paths.every(present)) {
    if (stopped()) return false;
    if (!told) onWaiting?.(paths.filter((p) => !present(p)));
    told = true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}
