import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ClusterInfo, defaultStateDir, type StatePaths, statePaths } from "@ambit/local";

/** Where CLI output goes (tests capture it). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export function pathsFrom(opts: { stateDir?: string }): StatePaths {
  return statePaths(opts.stateDir ?? defaultStateDir());
}

export function readClusterInfo(paths: StatePaths): ClusterInfo | undefined {
  try {
    return JSON.parse(readFileSync(paths.clusterFile, "utf8")) as ClusterInfo;
  } catch {
    return undefined;
  }
}

/**
 * The command that starts this CLI's daemon: the same node, the same entry file (sources run
 * through tsx with the `source` condition, built code directly), plus `daemon`.
 */
export function daemonCommand(stateDir: string, extra: readonly string[]): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const entry = fileURLToPath(new URL(fromSource ? "./main.ts" : "./main.js", import.meta.url));
  if (!existsSync(entry)) throw new Error(`ambit entry not found: ${entry}`);
  const pre = fromSource ? ["--conditions=source", "--import", tsxLoader()] : [];
  return [process.execPath, ...pre, entry, "--state-dir", stateDir, "daemon", ...extra];
}

/** tsx's loader as an absolute URL, so the daemon starts from any working directory. */
function tsxLoader(): string {
  try {
    return import.meta.resolve("tsx");
  } catch {
    return "tsx";
  }
}
