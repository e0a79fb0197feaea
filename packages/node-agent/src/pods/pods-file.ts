/**
 * Reads and watches `<stateDir>/nodes/<node>/pods.json` (contract: `NodePodsFile` in @ambit/api).
 * The writer replaces the file atomically (temp + rename), so the directory is watched, and a
 * slow poll backs up fs.watch, which can miss events.
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { NodePodRecord, NodePodsFile } from "@ambit/api";
import { CodedError, createLogger, errnoCode } from "@ambit/core";

const log = createLogger("node-agent.pods");

export type PodsFileErrorCode = "bad_pods_file";
/** The pods file is not the documented JSON shape. */
export class PodsFileError extends CodedError<PodsFileErrorCode> {}

const PHASES = new Set(["Pending", "Running", "Succeeded", "Failed"]);

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

function parsePod(v: unknown, i: number): NodePodRecord {
  const bad = (what: string): never => {
    throw new PodsFileError("bad_pods_file", `pods.json: pods[${i}]: ${what}`);
  };
  if (typeof v !== "object" || v === null) return bad("not an object");
  const o = v as Record<string, unknown>;
  for (const k of ["uid", "name", "namespace", "serviceAccount", "netnsPath", "ip"]) {
    if (typeof o[k] !== "string") bad(`${k} must be a string`);
  }
  if (o["uid"] === "") bad("uid is empty");
  for (const k of ["labels", "annotations", "namespaceLabels"])
    if (!isStringMap(o[k])) bad(`${k} must map strings to strings`);
  if (typeof o["phase"] !== "string" || !PHASES.has(o["phase"])) bad(`bad phase ${String(o["phase"])}`);
  return o as unknown as NodePodRecord;
}

/** Validates a pods file's JSON text. */
export function parsePodsFile(text: string): NodePodsFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new PodsFileError("bad_pods_file", `pods.json: ${(e as Error).message}`, { cause: e });
  }
  const o = v as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null)
    throw new PodsFileError("bad_pods_file", "pods.json: not an object");
  if (typeof o["node"] !== "string")
    throw new PodsFileError("bad_pods_file", "pods.json: node must be a string");
  if (typeof o["generation"] !== "number")
    throw new PodsFileError("bad_pods_file", "pods.json: generation must be a number");
  if (!Array.isArray(o["pods"])) throw new PodsFileError("bad_pods_file", "pods.json: pods must be an array");
  return { node: o["node"], generation: o["generation"], pods: o["pods"].map(parsePod) };
}

/**
 * Reads the file; a missing file is an empty pod list with generation -1 (the runtime has not
 * written one yet, so its first file, whatever its generation, is newer).
 */
export async function readPodsFile(path: string, node: string): Promise<NodePodsFile> {
  try {
    return parsePodsFile(await readFile(path, "utf8"));
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return { node, generation: -1, pods: [] };
    throw e;
  }
}

/**
 * Calls `onFile` with each generation newer than `appliedGeneration` (never an older one). Bad files are logged and skipped
 * (the previous state stays in force). Returns a stop function.
 */
export function watchPodsFile(
  path: string,
  node: string,
  onFile: (f: NodePodsFile) => void,
  pollMs = 1000,
  appliedGeneration = -1,
): () => void {
  let applied = appliedGeneration;
  let stopped = false;
  let reading = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        try {
          const f = await readPodsFile(path, node);
          if (!stopped && f.generation > applied) {
            applied = f.generation;
            onFile(f);
          }
        } catch (e) {
          log.warn("ignoring unreadable pods file", { path, error: e });
        }
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_ev, name) => {
      if (name === null || name === basename(path)) void check();
    });
    watcher.on("error", () => undefined);
  } catch {
    log.warn("fs.watch unavailable, polling only", { path });
  }
  const timer = setInterval(() => void check(), pollMs);
  void check();
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
}
