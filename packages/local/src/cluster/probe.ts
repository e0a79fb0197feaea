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

const GET_SCRIPT = `
const [url, t] = process.argv.slice(1);
const out = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
setTimeout(() => out({ error: "timeout" }), Number(t)).unref();
require("node:http").get(url, (res) => {
  let body = ""; res.setEncoding("utf8");
  res.on("data", (c) => { body += c; });
  res.on("end", () => out({ status: res.statusCode, body }));
}).on("error", (e) => out({ error: e.code || e.message }));`;

/** Result of an HTTP GET made from inside a netns. */
export type NetnsHttpResult = { readonly status: number; readonly body: string } | { readonly error: string };

/** GETs `url` from inside `ns` (admin/metrics endpoints are reachable only there). */
export function httpGetInNetns(ns: string, url: string, timeoutMs = 3000): Promise<NetnsHttpResult> {
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["netns", "exec", ns, process.execPath, "-e", GET_SCRIPT, url, String(timeoutMs)],
      { timeout: timeoutMs + 3000, encoding: "utf8", maxBuffer: 32 * 1024 * 1024 },
      (err, stdout) => {
        try {
          resolve(JSON.parse(stdout) as NetnsHttpResult);
        } catch {
          resolve({ error: err?.message ?? "no answer" });
        }
      },
    );
  });
}
