import { execFile } from "node:child_process";
import { findPod, readPods, type StatePaths } from "@ambit/local";

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command inside a pod's netns and captures its output (the demo's traffic sender). */
export function execInPod(
  paths: StatePaths,
  pod: string,
  argv: readonly string[],
  timeoutMs = 30_000,
): Promise<Captured> {
  const p = findPod(readPods(paths), pod);
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", p.netns, ...argv],
      { timeout: timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `node -e` script: GET <url> <count> times, one JSON line per answer (`{error}` on failure). */
export const FETCH_SCRIPT = `
const [url, n] = process.argv.slice(1);
const http = require("node:http");
const one = () => new Promise((done) => {
  const r = http.get(url, { timeout: 4000 }, (s) => {
    let b = ""; s.setEncoding("utf8");
    s.on("data", (c) => { b += c; });
    s.on("end", () => { try { JSON.parse(b); done(b); } catch { done(JSON.stringify({ error: "HTTP " + s.statusCode + " " + b.slice(0, 120) })); } });
  });
  r.on("timeout", () => r.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
  r.on("error", (e) => done(JSON.stringify({ error: e.code || e.message })));
});
(async () => { for (let i = 0; i < Number(n); i++) process.stdout.write((await one()) + "\\n"); })();`;

/** GETs `url` `count` times from inside `pod`; returns one parsed answer per request. */
export async function fetchFromPod(
  paths: StatePaths,
  pod: string,
  url: string,
  count: number,
): Promise<Record<string, unknown>[]> {
  const r = await execInPod(
    paths,
    pod,
    [process.execPath, "-e", FETCH_SCRIPT, url, String(count)],
    10_000 + count * 5000,
  );
  const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0)
    return [{ error: `client failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}` }];
  return lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return { error: l };
    }
  });
}
