import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AppliedObject,
  assertCanRun,
  callDaemon,
  type DesiredEntry,
  desiredWaypoints,
  LocalError,
  liveDaemon,
  objectFromDocument,
  objectKey,
  type StatePaths,
  USE_WAYPOINT_LABEL,
  unixGet,
} from "@ambit/local";
import { fetchStatus } from "./commands.js";
import { controlPlaneVersion, reportConfigIssues } from "./config-issues.js";
import type { Io } from "./context.js";
import {
  type MeshWaypoint,
  mergeWaypoints,
  parseMeshWaypoints,
  type WaypointGatewayOptions,
  type WaypointRow,
  waypointGateway,
  waypointGatewayYaml,
  waypointListTable,
  waypointRowsOutput,
  waypointStatusText,
} from "./waypoint-view.js";

const OUTPUTS = ["table", "json", "yaml"] as const;

function checkOutput(o: string): "table" | "json" | "yaml" {
  if (!(OUTPUTS as readonly string[]).includes(o))
    throw new LocalError("invalid_argument", `-o must be table, json or yaml, not ${o}`);
  return o as "table" | "json" | "yaml";
}

function requireDaemon(paths: StatePaths): void {
  if (liveDaemon(paths) === undefined)
    throw new LocalError("no_cluster", `no ambit cluster is running for ${paths.root}: run 'ambit up' first`);
}

/** `ambit waypoint generate`: prints the waypoint Gateway (nothing is applied). */
export function cmdWaypointGenerate(io: Io, o: WaypointGatewayOptions): void {
  io.out(waypointGatewayYaml(o));
}

/** desired.json: what is applied now (the Namespace object to relabel, the Gateways that exist). */
function desiredObjects(paths: StatePaths): AppliedObject[] {
  let entries: DesiredEntry[] = [];
  try {
    entries = JSON.parse(readFileSync(paths.desiredFile, "utf8")) as DesiredEntry[];
  } catch {
    return [];
  }
  return entries.map((e, i) => objectFromDocument(e.raw, e.sourceDir, `desired.json entry ${i + 1}`));
}

/** The namespace, declared or implicit, with `istio.io/use-waypoint=<name>` added to its labels. */
function enrolledNamespace(paths: StatePaths, ns: string, name: string): AppliedObject {
  const current = desiredObjects(paths).find((a) => a.key === objectKey("Namespace", "", ns));
  const raw = current?.raw ?? { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } };
  const meta = (raw["metadata"] ?? {}) as Record<string, unknown>;
  const labels = { ...((meta["labels"] ?? {}) as Record<string, string>), [USE_WAYPOINT_LABEL]: name };
  return objectFromDocument(
    { ...raw, metadata: { ...meta, labels } },
    current?.sourceDir ?? process.cwd(),
    `namespace ${ns}`,
  );
}

/**
 * `ambit waypoint apply`: applies the Gateway (the runtime creates its pod, Service and process),
 * optionally labels the namespace `istio.io/use-waypoint=<name>`, prints the control plane's
 * issues for them; `wait` waits (up to 30 s) until the control plane reports it Programmed.
 */
export async function cmdWaypointApply(
  paths: StatePaths,
  io: Io,
  o: WaypointGatewayOptions & { enrollNamespace?: boolean; wait?: boolean },
): Promise<void> {
  assertCanRun();
  const gw = objectFromDocument(waypointGateway(o), process.cwd(), "ambit waypoint apply");
  requireDaemon(paths);
  const objects = [
    gw,
    ...(o.enrollNamespace === true ? [enrolledNamespace(paths, o.namespace, o.name)] : []),
  ];
  const version = await controlPlaneVersion(paths);
  await callDaemon(paths, "POST", "/apply", {
    objects: objects.map((a) => ({ raw: a.raw, sourceDir: a.sourceDir }) satisfies DesiredEntry),
  });
  io.out(`waypoint ${o.namespace}/${o.name} applied\n`);
  if (o.enrollNamespace === true)
    io.out(`namespace ${o.namespace} labeled with "${USE_WAYPOINT_LABEL}=${o.name}"\n`);
  const rejected = await reportConfigIssues(paths, io, objects, version);
  if (rejected > 0)
    throw new LocalError(
      "invalid_manifest",
      `the control plane rejected the waypoint (${rejected} error(s) above)`,
    );
  if (o.wait === true) await waitProgrammed(paths, io, o.namespace, o.name, 30_000);
}

async function waitProgrammed(
  paths: StatePaths,
  io: Io,
  ns: string,
  name: string,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "no answer from the control plane";
  for (;;) {
    const r = await meshWaypoints(paths, ns);
    const w = r.list?.find((x) => x.name === name);
    const p = w?.conditions.find((c) => c.type === "Programmed");
    if (p?.status === "True") {
      io.out(`waypoint ${ns}/${name} programmed: ${p.message}\n`);
      return;
    }
    last = p !== undefined ? `${p.reason}: ${p.message}` : (r.note ?? "not listed yet");
    if (Date.now() > deadline)
      throw new LocalError(
        "command_failed",
        `waypoint ${ns}/${name} not programmed after ${ms / 1000} s (${last})`,
      );
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** The control plane's `/waypoints`, or a note saying why there is no such view. */
export async function meshWaypoints(
  paths: StatePaths,
  namespace?: string,
): Promise<{ list?: MeshWaypoint[]; note?: string }> {
  const sock = join(paths.root, "control-plane", "status.sock");
  const r = await unixGet(
    sock,
    namespace !== undefined ? `/waypoints?namespace=${encodeURIComponent(namespace)}` : "/waypoints",
  );
  const without = "conditions unknown; showing the local runtime's view only";
  if ("error" in r) return { note: `control plane status not reachable at ${sock} (${r.error}): ${without}` };
  if (r.status === 404)
    return { note: `this control plane has no /waypoints status endpoint (older build): ${without}` };
  if (r.status !== 200) return { note: `control plane /waypoints answered HTTP ${r.status}: ${without}` };
  try {
    return { list: parseMeshWaypoints(r.body) };
  } catch (e) {
    return { note: `${(e as Error).message}: ${without}` };
  }
}

async function rows(paths: StatePaths, io: Io, namespace: string | undefined): Promise<WaypointRow[]> {
  requireDaemon(paths);
  const [local, mesh] = await Promise.all([fetchStatus(paths), meshWaypoints(paths, namespace)]);
  if (mesh.note !== undefined) io.err(`${mesh.note}\n`);
  const mine = (local.waypoints ?? []).filter((w) => namespace === undefined || w.namespace === namespace);
  return mergeWaypoints(mesh.list, mine);
}

/** `ambit waypoint list [-n ns | -A]`. */
export async function cmdWaypointList(
  paths: StatePaths,
  io: Io,
  o: { namespace: string; allNamespaces?: boolean; output: string },
): Promise<void> {
  const out = checkOutput(o.output);
  assertCanRun();
  const list = await rows(paths, io, o.allNamespaces === true ? undefined : o.namespace);
  io.out(out === "table" ? `${waypointListTable(list)}\n` : waypointRowsOutput(list, out));
}

/** `ambit waypoint status [--name n] [-n ns]`: conditions plus pod/process per waypoint. */
export async function cmdWaypointStatus(
  paths: StatePaths,
  io: Io,
  o: { name?: string; namespace: string; output: string },
): Promise<void> {
  const out = checkOutput(o.output);
  assertCanRun();
  const list = (await rows(paths, io, o.namespace)).filter((r) => o.name === undefined || r.name === o.name);
  if (o.name !== undefined && list.length === 0)
    throw new LocalError("command_failed", `waypoint ${o.namespace}/${o.name} not found`);
  io.out(out === "table" ? `${waypointStatusText(list)}\n` : waypointRowsOutput(list, out));
}

/** `ambit waypoint delete <name...> [-n ns]`: deletes the Gateways (the runtime removes pod, Service, process). */
export async function cmdWaypointDelete(
  paths: StatePaths,
  io: Io,
  names: readonly string[],
  namespace: string,
): Promise<void> {
  assertCanRun();
  if (names.length === 0) throw new LocalError("invalid_argument", "ambit waypoint delete: name a waypoint");
  requireDaemon(paths);
  const desired = desiredObjects(paths);
  const waypoints = new Set(desiredWaypoints(desired).map((w) => w.owner));
  for (const n of names) {
    const key = objectKey("Gateway", namespace, n);
    if (desired.some((a) => a.key === key) && !waypoints.has(key))
      throw new LocalError(
        "invalid_argument",
        `Gateway ${namespace}/${n} is not a waypoint (class istio-waypoint); use 'ambit delete -f'`,
      );
  }
  const keys = names.map((n) => objectKey("Gateway", namespace, n));
  const version = await controlPlaneVersion(paths);
  const missing = await callDaemon<string[]>(paths, "POST", "/delete", { keys });
  // Wait (briefly) for the control plane to take the change, so a following list agrees.
  await reportConfigIssues(paths, io, [], version);
  for (const n of names)
    if (!missing.includes(objectKey("Gateway", namespace, n))) io.out(`waypoint ${namespace}/${n} deleted\n`);
  const ns = desired.find((a) => a.key === objectKey("Namespace", "", namespace));
  const label = ns?.obj.meta.labels[USE_WAYPOINT_LABEL];
  if (
    label !== undefined &&
    names.includes(label) &&
    !missing.includes(objectKey("Gateway", namespace, label))
  )
    io.err(
      `note: namespace ${namespace} still has ${USE_WAYPOINT_LABEL}=${label}; its services keep using L4 only until a waypoint of that name exists\n`,
    );
  if (missing.length > 0)
    throw new LocalError(
      "command_failed",
      `no waypoint ${missing.map((k) => k.split("/").slice(1).join("/")).join(", ")}`,
    );
}
