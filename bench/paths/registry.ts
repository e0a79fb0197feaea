import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BenchError } from "../bench-error.js";
import type { BenchPath, PathKind } from "./bench-path.js";

const KIND_ORDER: Record<PathKind, number> = { baseline: 0, peer: 1, ambit: 2 };

/** Files that define a path: `<name>.path.ts`. Only real paths live here; no placeholders. */
export const PATH_FILE_RE = /^[a-z0-9-]+\.path\.ts$/;

/**
 * Orders paths for runs and tables: baseline first, then peers, then ambit's own; by name inside a
 * kind. Rejects duplicate names and a set without exactly one baseline (ratios need one).
 */
export function orderPaths(paths: readonly BenchPath[]): BenchPath[] {
  const seen = new Set<string>();
  for (const p of paths) {
    if (!/^[a-z0-9-]+$/.test(p.name))
      throw new BenchError("bad_option", `path name must be kebab-case: ${p.name}`);
    if (seen.has(p.name)) throw new BenchError("bad_option", `duplicate bench path name: ${p.name}`);
    seen.add(p.name);
  }
  const baselines = paths.filter((p) => p.kind === "baseline").length;
  if (baselines !== 1)
    throw new BenchError("bad_option", `need exactly one baseline path, found ${baselines}`);
  return [...paths].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name));
}

/**
 * Keeps the paths named in `only` (the baseline is always kept: every ratio is against it). With
 * no names, a quick run leaves out the `fullOnly` paths.
 */
export function selectPaths(
  paths: readonly BenchPath[],
  only: readonly string[] | undefined,
  quick = false,
): BenchPath[] {
  if (only === undefined || only.length === 0) return paths.filter((p) => !(quick && p.fullOnly === true));
  const unknown = only.filter((n) => !paths.some((p) => p.name === n));
  if (unknown.length > 0) {
    const known = paths.map((p) => p.name).join(", ");
    throw new BenchError("bad_option", `unknown path(s): ${unknown.join(", ")} (known: ${known})`);
  }
  return paths.filter((p) => p.kind === "baseline" || only.includes(p.name));
}

/** Imports every `bench/paths/*.path.ts` and returns their `benchPath` exports, ordered. */
export async function discoverPaths(dir = dirname(fileURLToPath(import.meta.url))): Promise<BenchPath[]> {
  const files = readdirSync(dir)
    .filter((f) => PATH_FILE_RE.test(f))
    .sort();
  const out: BenchPath[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { benchPath?: BenchPath };
    if (mod.benchPath === undefined) throw new BenchError("bad_option", `${f} does not export benchPath`);
    out.push(mod.benchPath);
  }
  return orderPaths(out);
}
