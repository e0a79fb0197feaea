import { execFile } from "node:child_process";

/** A health check target inside a netns. */
export type ProbeTarget =
  | { readonly kind: "http"; readonly url: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

export type ProbeResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string };

// Runs inside the netns as `node -e`: prints "ok <detail>" or "fail <detail>".
const SCRIPT = `
const [kind, a, b, t] = process.argv.slice(1);
const done = (ok, d) => { process.stdout.write((ok ? "ok " : "fail ") + d); process.exit(0); };
setTimeout(() => done(false, "timeout"), Number(t)).unref();
if (kind === "http") {
  require("node:http").get(a, (res) => { res.resume(); done(res.statusCode === 200, "HTTP " + res.statusCode); })
    .on("error", (e) => done(false, e.code || e.message));
} else {
  const s = require("node:net").connect(Number(b), a, () => { s.destroy(); done(true, "connected"); });
  s.on("error", (e) => done(false, e.code || e.message));
}`;

/**
 * Checks a readiness endpoint or port from inside a netns (the host has no route into the
 * cluster by design). Spawns a short-lived node inside the netns.
 */
export function probeInNetns(ns: string, target: ProbeTarget, timeoutMs = 1500): Promise<ProbeResult> {
  const args =
    target.kind === "http"
      ? ["http", target.url, "", String(timeoutMs)]
      : ["tcp", target.host, String(target.port), String(timeoutMs)];
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", ns, process.execPath, "-e", SCRIPT, ...args],
      { timeout: timeoutMs + 3000, encoding: "utf8" },
      (err, stdout) => {
        const out = stdout.trim();
        if (out.startsWith("ok ")) resolve({ ok: true, detail: out.slice(3) });
        else if (out.startsWith("fail ")) resolve({ ok: false, detail: out.slice(5) });
        else resolve({ ok: false, detail: err?.message ?? "probe failed" });
      },
    );
  });
}
