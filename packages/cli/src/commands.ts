import { spawn } from "node:child_process";
import {
  type AppliedObject,
  assertCanRun,
  type ClusterStatus,
  callDaemon,
  clusterPrefix,
  type DesiredEntry,
  ensureDaemon,
  findPod,
  LocalError,
  liveDaemon,
  loadManifests,
  readPods,
  type StatePaths,
  type TeardownReport,
  teardownCluster,
} from "@ambit/local";
import { controlPlaneVersion, reportConfigIssues } from "./config-issues.js";
import { daemonCommand, type Io, readClusterInfo } from "./context.js";
import { formatStatus } from "./format.js";

function entries(objects: readonly AppliedObject[]): DesiredEntry[] {
  return objects.map((o) => ({ raw: o.raw, sourceDir: o.sourceDir }));
}

const progressTo =
  (io: Io) =>
  (line: string): void =>
    io.out(`  • ${line}\n`);

/** `ambit up`: starts the daemon if needed, builds the cluster, applies manifests. Idempotent. */
export async function cmdUp(
  paths: StatePaths,
  io: Io,
  opts: { files?: readonly string[]; nodes?: number; clusterId?: string },
): Promise<void> {
  assertCanRun();
  const objects = loadManifests(opts.files ?? []);
  const extra = [
    ...(opts.nodes !== undefined ? ["--nodes", String(opts.nodes)] : []),
    ...(opts.clusterId !== undefined ? ["--cluster-id", opts.clusterId] : []),
  ];
  const pid = await ensureDaemon(paths, daemonCommand(paths.root, extra));
  io.out(`ambit daemon running (pid ${pid}, state ${paths.root})\n`);
  await callDaemon(
    paths,
    "POST",
    "/up",
    { objects: entries(objects), ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}) },
    progressTo(io),
  );
  io.out(
    "cluster is up. Next: ambit status · ambit logs <component|pod> · ambit exec <pod> -- <cmd> · ambit down\n",
  );
}

function requireDaemon(paths: StatePaths): void {
  if (liveDaemon(paths) === undefined) {
    throw new LocalError("no_cluster", `no ambit cluster is running for ${paths.root}: run 'ambit up' first`);
  }
}

export async function cmdApply(
  paths: StatePaths,
  io: Io,
  files: readonly string[],
  opts: { readonly summary?: boolean } = {},
): Promise<void> {
  assertCanRun();
  const objects = loadManifests(files);
  requireDaemon(paths);
  const version = await controlPlaneVersion(paths);
  await callDaemon(paths, "POST", "/apply", { objects: entries(objects) }, progressTo(io));
  const rejected = await reportConfigIssues(paths, io, objects, version);
  if (opts.summary !== true) {
    for (const o of objects) io.out(`${o.key} applied\n`);
  } else {
    const kinds = new Map<string, number>();
    for (const o of objects) kinds.set(o.obj.kind, (kinds.get(o.obj.kind) ?? 0) + 1);
    io.out(`applied ${objects.length} objects: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}\n`);
  }
  if (rejected > 0) {
    throw new LocalError(
      "invalid_manifest",
      `the control plane rejected ${rejected} error(s) above and keeps its last good config; fix and re-apply, or 'ambit delete -f'`,
    );
  }
}

export async function cmdDelete(paths: StatePaths, io: Io, files: readonly string[]): Promise<void> {
  assertCanRun();
  const keys = loadManifests(files).map((o) => o.key);
  requireDaemon(paths);
  const missing = await callDaemon<string[]>(paths, "POST", "/delete", { keys }, progressTo(io));
  for (const k of keys) io.out(missing.includes(k) ? `${k} was not applied\n` : `${k} deleted\n`);
}

/**
 * `ambit down`: asks the daemon to stop and remove everything; then sweeps by prefix and state
 * dir in any case, so it also cleans up after a crashed or killed daemon. Idempotent.
 */
export async function cmdDown(paths: StatePaths, io: Io): Promise<TeardownReport | undefined> {
  assertCanRun();
  const info = readClusterInfo(paths);
  if (liveDaemon(paths) !== undefined) {
    try {
      await callDaemon(paths, "POST", "/down", undefined, progressTo(io));
    } catch (e) {
      io.err(`daemon did not finish the teardown (${(e as Error).message}); cleaning up directly\n`);
    }
  }
  if (info === undefined) {
    io.out(`no ambit cluster in ${paths.root}; nothing to remove\n`);
    return undefined;
  }
  const report = await teardownCluster(paths, clusterPrefix(info.id));
  io.out(
    `cluster ${info.id} removed` +
      (report.namespaces.length + report.killed.length > 0
        ? ` (also swept ${report.namespaces.length} leftover namespaces, ${report.killed.length} processes)`
        : "") +
      `; logs kept in ${paths.logsDir}\n`,
  );
  return report;
}

export async function fetchStatus(paths: StatePaths): Promise<ClusterStatus> {
  requireDaemon(paths);
  return callDaemon<ClusterStatus>(paths, "GET", "/status");
}

export async function cmdStatus(paths: StatePaths, io: Io, output: string): Promise<void> {
  assertCanRun();
  const info = readClusterInfo(paths);
  if (liveDaemon(paths) === undefined) {
    io.out(
      info === undefined
        ? `no ambit cluster in ${paths.root} (start one with: ambit up)\n`
        : `cluster ${info.id} is not running (its daemon is gone): 'ambit up' rebuilds it, 'ambit down' removes what is left\n`,
    );
    return;
  }
  const s = await fetchStatus(paths);
  io.out(output === "json" ? JSON.stringify(s, null, 2) + "\n" : formatStatus(s));
}

/**
 * `ambit exec <pod> -- <cmd>`: runs a command inside the pod's netns (`ip netns exec`, so the pod's
 * hosts/resolv.conf apply) with the pod's identity in the environment; returns its exit code.
 */
export function cmdExec(
  paths: StatePaths,
  query: string,
  argv: readonly string[],
  opts: { namespace?: string; stdio?: "inherit" | "pipe" },
): Promise<number> {
  assertCanRun();
  if (argv.length === 0) throw new LocalError("invalid_argument", "ambit exec: give a command after --");
  const pod = findPod(readPods(paths), query, opts.namespace);
  const child = spawn("ip", ["netns", "exec", pod.netns, ...argv], {
    stdio: opts.stdio ?? "inherit",
    env: {
      ...process.env,
      POD_NAME: pod.name,
      POD_NAMESPACE: pod.namespace,
      POD_IP: pod.ip,
      NODE_NAME: pod.node,
      SERVICE_ACCOUNT: pod.serviceAccount,
    },
  });
  return new Promise((resolve) => {
    child.on("exit", (code, sig) => resolve(code ?? (sig !== null ? 128 : 1)));
    child.on("error", () => resolve(127));
  });
}
