import { join } from "node:path";
import { type AppliedObject, configFileName, type StatePaths, unixGetJson } from "@ambit/local";
import type { Io } from "./context.js";

interface Issue {
  readonly severity: string;
  readonly message: string;
  readonly path?: string;
  readonly location?: { readonly file?: string; readonly line?: number };
}

function statusSocket(paths: StatePaths): string {
  return join(paths.root, "control-plane", "status.sock");
}

/** The control plane's current snapshot version, or undefined when it does not answer. */
export async function controlPlaneVersion(paths: StatePaths): Promise<number | undefined> {
  const r = (await unixGetJson(statusSocket(paths), "/healthz/ready")) as
    | { snapshotVersion?: number }
    | undefined;
  return r?.snapshotVersion;
}

/**
 * After an apply: waits briefly for the control plane to take the new config (snapshot version
 * moves), then prints the issues it reports for the objects just applied — so a policy the
 * control plane rejected is said at once, with file/line/field, instead of failing silently.
 * Returns the number of errors. Does nothing when no control plane runs.
 */
export async function reportConfigIssues(
  paths: StatePaths,
  io: Io,
  objects: readonly AppliedObject[],
  before: number | undefined,
  waitMs = 2000,
): Promise<number> {
  if (before === undefined) return 0;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const v = await controlPlaneVersion(paths);
    if (v === undefined || v !== before) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = (await unixGetJson(statusSocket(paths), "/debug/config_errors")) as
    | { issues?: Issue[] }
    | undefined;
  const byFile = new Map(
    objects.map((o) => [configFileName(o.obj.kind, o.obj.meta.namespace, o.obj.meta.name), o.key]),
  );
  let errors = 0;
  for (const i of r?.issues ?? []) {
    const key = i.location?.file !== undefined ? byFile.get(i.location.file) : undefined;
    if (key === undefined) continue;
    if (i.severity === "error") errors++;
    const where = [i.path, i.location?.line !== undefined ? `line ${i.location.line}` : undefined]
      .filter(Boolean)
      .join(", ");
    io.err(`control plane ${i.severity}: ${key}: ${i.message}${where !== "" ? ` (${where})` : ""}\n`);
  }
  return errors;
}
