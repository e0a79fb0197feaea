import { type Dirent, type FSWatcher, watch } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { CodedError, createLogger, errnoCode, errorMessage } from "@ambit/core";
import type { ConfigIssue } from "../status/config-issue.js";
import type { ConfigKey, ConfigObject } from "./config-object.js";
import { ChangeEmitter, type ConfigSource, diffObjects, type SourceChange } from "./config-source.js";
import { type ParsedDocument, parseConfigDocuments } from "./parse-documents.js";
import { resolveFiles } from "./resolve-files.js";

const log = createLogger("cp.source.file");

export type FileSourceErrorCode = "not_a_directory";

export class FileSourceError extends CodedError<FileSourceErrorCode> {
  override readonly name = "FileSourceError";
}

export interface FileSourceOptions {
  /** Directory watched recursively for `*.yaml` / `*.yml` (hidden files are ignored). */
  readonly dir: string;
  /** Quiet period after the last file event before rescanning. Default 75 ms. */
  readonly debounceMs?: number;
  /** Upper bound on how long a stream of events can postpone a rescan. Default 500 ms. */
  readonly maxDelayMs?: number;
  /**
   * Periodic rescan as a safety net for missed watch events (recursive fs.watch on Linux can miss
   * files in freshly created subdirectories). 0 disables. Default 5000 ms.
   */
  readonly resyncMs?: number;
}

interface FileState {
  readonly signature: string;
  readonly text: string;
  readonly docs: readonly ParsedDocument[];
}

/**
 * The embedded default config source: a directory of Kubernetes-style YAML. Every change (create,
 * write, atomic rename, delete) triggers a debounced rescan of the whole tree; files whose
 * (inode, size, mtime) changed are re-read and re-parsed, and {@link resolveFiles} decides what is
 * in force. Rescanning instead of trusting individual events makes renames and editor temp files
 * harmless, at the cost of one `stat` per file per change — fine for config directories.
 */
export class FileSource implements ConfigSource {
  readonly name: string;
  readonly #dir: string;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #resyncMs: number;
  readonly #emitter = new ChangeEmitter();
  #files = new Map<string, FileState>();
  #lastGood = new Map<string, ConfigObject>();
  #objects: ReadonlyMap<ConfigKey, ConfigObject> = new Map();
  #list: readonly ConfigObject[] = Object.freeze([]);
  #issues: readonly ConfigIssue[] = Object.freeze([]);
  #readIssues = new Map<string, ConfigIssue>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #firstEventAt = 0;
  #scanning: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;
  /** Number of completed rescans; tests use it to observe debouncing. */
  scans = 0;

  constructor(opts: FileSourceOptions) {
    this.#dir = opts.dir;
    this.name = `file:${opts.dir}`;
    this.#debounceMs = opts.debounceMs ?? 75;
    this.#maxDelayMs = opts.maxDelayMs ?? 500;
    this.#resyncMs = opts.resyncMs ?? 5000;
  }

  async start(): Promise<void> {
    const st = await stat(this.#dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new FileSourceError("not_a_directory", `config directory: not a directory: ${this.#dir}`);
    }
    this.#stopped = false;
    await this.#rescan();
    try {
      this.#watcher = watch(this.#dir, { recursive: true }, () => this.#schedule());
      this.#watcher.on("error", (e) => log.warn("watch failed; relying on periodic rescan", { err: e }));
    } catch (e) {
      log.warn("watch unavailable; relying on periodic rescan", { err: e });
    }
    if (this.#resyncMs > 0) {
      this.#resync = setInterval(() => this.#schedule(), this.#resyncMs);
      this.#resync.unref();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#resync) clearInterval(this.#resync);
    this.#timer = this.#resync = undefined;
    await this.#scanning;
  }

  list(): readonly ConfigObject[] {
    return this.#list;
  }

  issues(): readonly ConfigIssue[] {
    return this.#issues;
  }

  subscribe(listener: (change: SourceChange) => void): () => void {
    return this.#emitter.subscribe(listener);
  }

  /** Rescan now (after pending debounced work); resolves when the result is applied. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.#rescan();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (this.#timer) {
      if (now - this.#firstEventAt >= this.#maxDelayMs) return; // let the pending timer fire
      clearTimeout(this.#timer);
    } else {
      this.#firstEventAt = now;
    }
    const wait = Math.max(0, Math.min(this.#debounceMs, this.#maxDelayMs - (now - this.#firstEventAt)));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#rescan();
    }, wait);
  }

  #rescan(): Promise<void> {
    if (this.#scanning) {
      this.#dirty = true;
      return this.#scanning;
    }
    this.#scanning = (async () => {
      do {
        this.#dirty = false;
        try {
          await this.#scanOnce();
        } catch (e) {
          log.error("rescan failed", { err: e, dir: this.#dir });
        }
      } while (this.#dirty && !this.#stopped);
    })().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  async #scanOnce(): Promise<void> {
    const { files: paths, unreadable } = await listYamlFiles(this.#dir);
    const next = new Map<string, FileState>();
    // A directory we could not list (the root included, e.g. while a tool replaces it) must not
    // read as "all its files were deleted": keep what we had from it and report it.
    for (const d of unreadable) {
      const relDir = relative(this.#dir, d.path).split(sep).join("/");
      const prefix = relDir === "" ? "" : `${relDir}/`;
      for (const [rel, st] of this.#files) if (rel.startsWith(prefix)) next.set(rel, st);
      this.#readIssues.set(relDir === "" ? "." : relDir, {
        severity: "error",
        code: "read_failed",
        message: `cannot read directory: ${d.error} (previous contents stay in force)`,
        origin: this.name,
        location: { file: relDir === "" ? "." : relDir, line: 1, column: 1 },
      });
    }
    for (const abs of paths) {
      const rel = relative(this.#dir, abs).split(sep).join("/");
      const prev = this.#files.get(rel);
      try {
        const st = await stat(abs);
        const signature = `${st.ino}:${st.size}:${st.mtimeMs}`;
        if (prev && prev.signature === signature) {
          next.set(rel, prev);
          continue;
        }
        const text = await readFile(abs, "utf8");
        this.#readIssues.delete(rel);
        const docs = prev && prev.text === text ? prev.docs : parseConfigDocuments(text, rel, this.name);
        next.set(rel, { signature, text, docs });
      } catch (e) {
        if (errnoCode(e) === "ENOENT") continue; // vanished between readdir and read: deleted
        this.#readIssues.set(rel, {
          severity: "error",
          code: "read_failed",
          message: `cannot read file: ${errorMessage(e)} (previous contents stay in force)`,
          origin: this.name,
          location: { file: rel, line: 1, column: 1 },
        });
        if (prev) next.set(rel, prev);
      }
    }
    const unreadableRel = new Set(
      unreadable.map((d) => relative(this.#dir, d.path).split(sep).join("/") || "."),
    );
    for (const rel of this.#readIssues.keys())
      if (!next.has(rel) && !unreadableRel.has(rel)) this.#readIssues.delete(rel);
    this.#files = next;
    this.scans++;
    this.#apply();
  }

  #apply(): void {
    const docsByFile = new Map<string, readonly ParsedDocument[]>();
    for (const [f, s] of this.#files) docsByFile.set(f, s.docs);
    const res = resolveFiles(docsByFile, this.#lastGood, this.name);
    this.#lastGood = res.lastGood;
    const issues = Object.freeze([...this.#readIssues.values(), ...res.issues]);
    const { upserted, removed } = diffObjects(this.#objects, res.objects);
    const issuesChanged = JSON.stringify(issues) !== JSON.stringify(this.#issues);
    if (upserted.length === 0 && removed.length === 0 && !issuesChanged) return;
    this.#objects = res.objects;
    this.#list = Object.freeze([...res.objects.values()]);
    this.#issues = issues;
    for (const i of res.issues) if (i.severity === "error") log.warn("config error", { issue: i });
    const change = {
      source: this.name,
      upserted,
      removed,
      issuesOnly: upserted.length + removed.length === 0,
    };
    this.#emitter.emit(change, (e) => log.error("source listener failed", { err: e }));
  }
}

/** Create (not start) a file source. */
export function createFileSource(opts: FileSourceOptions): FileSource {
  return new FileSource(opts);
}

async function listYamlFiles(
  dir: string,
): Promise<{ files: string[]; unreadable: { path: string; error: string }[] }> {
  const files: string[] = [];
  const unreadable: { path: string; error: string }[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      // A vanished subdirectory is a deletion; anything else (or the root going away) is not.
      if (d === dir || errnoCode(e) !== "ENOENT") unreadable.push({ path: d, error: errorMessage(e) });
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue; // editor swap files, atomic-write temporaries
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)) files.push(p);
    }
  };
  await walk(dir);
  return { files: files.sort(), unreadable };
}
