import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { readJson } from "../fs-atomic.js";
import { LocalError, type LocalErrorCode } from "../local-error.js";
import { type PidRecord, recordAlive } from "../supervisor/pid-records.js";
import type { DaemonEvent } from "./daemon-protocol.js";
import type { StatePaths } from "./state-dir.js";

/** The running daemon's record, if its process is alive. */
export function liveDaemon(paths: StatePaths): PidRecord | undefined {
  const r = readJson<PidRecord>(paths.daemonFile);
  return r !== undefined && recordAlive(r) ? r : undefined;
}

/**
 * Calls the daemon. NDJSON answers are streamed: `onProgress` sees each progress line, the
 * promise resolves with the `result` value or rejects with the daemon's error code.
 */
export function callDaemon<T = unknown>(
  paths: StatePaths,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  onProgress: (line: string) => void = () => undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: paths.socket, method, path, headers: { "content-type": "application/json" } },
      (res) => {
        const ndjson = String(res.headers["content-type"] ?? "").includes("ndjson");
        let buf = "";
        let outcome: { ok: true; value: T } | { ok: false; err: LocalError } | undefined;
        const line = (l: string): void => {
          if (l.trim() === "") return;
          const ev = JSON.parse(l) as DaemonEvent;
          if (ev.t === "progress") onProgress(ev.line);
          else if (ev.t === "result") outcome = { ok: true, value: ev.value as T };
          else outcome = { ok: false, err: new LocalError(ev.code as LocalErrorCode, ev.message) };
        };
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          buf += c;
          if (!ndjson) return;
          let i = buf.indexOf("\n");
          while (i >= 0) {
            line(buf.slice(0, i));
            buf = buf.slice(i + 1);
            i = buf.indexOf("\n");
          }
        });
        res.on("end", () => {
          try {
            if (!ndjson) {
              const v = JSON.parse(buf) as { t?: string; code?: string; message?: string };
              if (res.statusCode !== 200 || v.t === "error") {
                reject(new LocalError((v.code ?? "daemon_unavailable") as LocalErrorCode, v.message ?? buf));
              } else resolve(v as T);
              return;
            }
            line(buf);
            if (outcome === undefined)
              reject(new LocalError("daemon_unavailable", "daemon closed the answer early"));
            else if (outcome.ok) resolve(outcome.value);
            else reject(outcome.err);
          } catch (e) {
            reject(new LocalError("daemon_unavailable", `bad answer from daemon: ${String(e)}`));
          }
        });
      },
    );
    req.on("error", (e) =>
      reject(
        new LocalError(
          "daemon_unavailable",
          `cannot reach the ambit daemon at ${paths.socket}: ${e.message}`,
        ),
      ),
    );
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Starts the daemon in the background unless one runs: `argv` is the command that runs
 * `runDaemon` (the CLI passes its own entry + `daemon`). Its output goes to logs/runtime.log.
 * Waits until the control socket answers.
 */
export async function ensureDaemon(
  paths: StatePaths,
  argv: readonly string[],
  timeoutMs = 20_000,
): Promise<number> {
  const running = liveDaemon(paths);
  if (running !== undefined) return running.pid;
  mkdirSync(paths.logsDir, { recursive: true });
  const logFile = paths.logFile("runtime");
  const fd = openSync(logFile, "a");
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new LocalError("invalid_argument", "daemon command is empty");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], env: process.env });
  closeSync(fd);
  child.unref();
  let exited: string | undefined;
  child.once("exit", (code, sig) => {
    exited = sig ?? String(code);
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (existsSync(paths.socket)) {
      try {
        const r = await callDaemon<{ pid: number }>(paths, "GET", "/ping");
        return r.pid;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(logFile, "utf8").split("\n").slice(-8).join("\n");
  throw new LocalError(
    "daemon_unavailable",
    `the ambit daemon did not start (${exited !== undefined ? `exited: ${exited}` : "timeout"}); last lines of ${logFile}:\n${tail}`,
  );
}
