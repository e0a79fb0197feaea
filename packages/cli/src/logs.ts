import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { findPod, LocalError, podLogName, readPods, type StatePaths } from "@ambit/local";
import type { Io } from "./context.js";

/** Log names available (file names without `.log`). */
export function listLogs(paths: StatePaths): string[] {
  try {
    return readdirSync(paths.logsDir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => f.slice(0, -4))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Resolves `ambit logs <name>`: an exact log name (`ztunnel-node-1`, `control-plane`, `runtime`),
 * else a pod (exact or unique prefix; `-c` picks the container, default the first), else a unique
 * prefix of a log name (`ztunnel` works on a one-node cluster; otherwise the choices are listed).
 */
export function resolveLog(
  paths: StatePaths,
  name: string,
  opts: { container?: string; namespace?: string },
): string {
  const logs = listLogs(paths);
  if (logs.includes(name)) return name;
  try {
    const pod = findPod(readPods(paths), name, opts.namespace);
    const c = opts.container ?? pod.containers[0]?.name ?? "";
    if (!pod.containers.some((x) => x.name === c)) {
      throw new LocalError("invalid_argument", `pod ${pod.key} has no container ${c}`);
    }
    return podLogName(pod, c);
  } catch (e) {
    if (e instanceof LocalError && e.code !== "unknown_pod") throw e;
  }
  const hits = logs.filter((l) => l.startsWith(name));
  if (hits.length === 1 && hits[0] !== undefined) return hits[0];
  throw new LocalError(
    "invalid_argument",
    hits.length > 1
      ? `${name} is ambiguous: ${hits.join(", ")}`
      : `no log named ${name}; available: ${logs.join(", ") || "(none)"}`,
  );
}

function readFrom(file: string, pos: number): { text: string; pos: number } {
  const size = statSync(file).size;
  if (size < pos) pos = 0; // truncated
  if (size === pos) return { text: "", pos };
  const buf = Buffer.alloc(size - pos);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, buf.length, pos);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString("utf8"), pos: size };
}

/** Prints a log (last `tail` lines, all when undefined); with `follow`, keeps printing appended data. */
export async function cmdLogs(
  paths: StatePaths,
  io: Io,
  name: string,
  opts: { follow?: boolean; tail?: number; container?: string; namespace?: string; signal?: AbortSignal },
): Promise<void> {
  const file = join(paths.logsDir, `${resolveLog(paths, name, opts)}.log`);
  let { text, pos } = readFrom(file, 0);
  if (opts.tail !== undefined) {
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    text = lines.slice(-opts.tail).join("\n") + (lines.length > 0 ? "\n" : "");
  }
  io.out(text);
  if (opts.follow !== true) return;
  while (opts.signal?.aborted !== true) {
    await new Promise((r) => setTimeout(r, 250));
    const next = readFrom(file, pos);
    pos = next.pos;
    if (next.text !== "") io.out(next.text);
  }
}
