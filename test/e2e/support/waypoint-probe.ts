/**
 * What the waypoint suite reads from a running waypoint: its pod once it reports ready, and the
 * per-request access records it keeps (admin `/config_dump` recent requests, else the JSON lines
 * of its log file).
 */
import { existsSync, readFileSync } from "node:fs";
import { Ports } from "@ambit/api";
import { httpGetInNetns, type PodStatus } from "@ambit/local";
import type { AccessLogRecord } from "@ambit/waypoint";
import type { MeshCluster } from "./mesh-cluster.js";
import { waitFor } from "./wait.js";

/** What the suite's cases need (read when a case runs, after the file's `before`). */
export interface WaypointSuite {
  readonly c: MeshCluster;
  readonly client: PodStatus;
  /** The waypoint's pod. */
  readonly wp: PodStatus;
  readonly ns: string;
  /** The waypoint Gateway's name. */
  readonly gw: string;
  /** `http://<VIP of service><path>`. */
  url(service: string, path?: string): string;
}

/** The fields of the waypoint's access record (one per request) the suite asserts on. */
export type WaypointRequest = Pick<
  AccessLogRecord,
  | "start_time"
  | "method"
  | "path"
  | "authority"
  | "response_code"
  | "response_flags"
  | "route"
  | "upstream"
  | "upstream_service"
  | "reason"
  | "attempts"
  | "source_principal"
  | "protocol"
>;

/** The waypoint pod of Gateway `ns/gw` once its readiness endpoint answers 200 (certificate + config). */
export async function waitWaypointReady(
  c: MeshCluster,
  ns: string,
  gw: string,
  ms = 90_000,
): Promise<PodStatus> {
  let last = "";
  return waitFor(
    `waypoint ${ns}/${gw} ready`,
    async () => {
      const s = await c.refresh();
      const p = s.pods.find((x) => x.namespace === ns && x.name === `${gw}-waypoint`);
      if (p === undefined || p.phase !== "Running") {
        last = `pod: ${JSON.stringify(p)}`;
        return undefined;
      }
      const r = await httpGetInNetns(p.netns, `http://127.0.0.1:${Ports.readiness}/healthz/ready`, 2000);
      last = JSON.stringify(r);
      return "status" in r && r.status === 200 ? p : undefined;
    },
    ms,
    () => last,
  );
}

/** Finds the first array of access records anywhere in a config dump. */
function findRecords(v: unknown, depth = 0): WaypointRequest[] | undefined {
  if (depth > 4 || typeof v !== "object" || v === null) return undefined;
  if (Array.isArray(v)) {
    const first: unknown = v[0];
    if (typeof first === "object" && first !== null && "response_code" in first)
      return v as WaypointRequest[];
    return undefined;
  }
  for (const x of Object.values(v)) {
    const r = findRecords(x, depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** The waypoint's recent request records, oldest first. */
export async function waypointRequests(
  c: MeshCluster,
  wp: PodStatus,
  gw: string,
): Promise<WaypointRequest[]> {
  const r = await httpGetInNetns(wp.netns, `http://127.0.0.1:${Ports.admin}/config_dump`, 5000);
  if ("status" in r && r.status === 200) {
    const found = findRecords(JSON.parse(r.body));
    if (found !== undefined) return found;
  }
  const file = c.rt.paths.logFile(`waypoint-${wp.namespace}-${gw}`);
  if (!existsSync(file)) return [];
  const out: WaypointRequest[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{") || !line.includes('"response_code"')) continue;
    try {
      out.push(JSON.parse(line) as WaypointRequest);
    } catch {
      // a torn last line
    }
  }
  return out;
}

/** Waits for a waypoint record at/after `since` (ISO) that satisfies `pred`. */
export async function waitWaypointRequest(
  c: MeshCluster,
  wp: PodStatus,
  gw: string,
  since: string,
  pred: (r: WaypointRequest) => boolean,
  ms = 10_000,
): Promise<WaypointRequest> {
  let last: WaypointRequest[] = [];
  return waitFor(
    "a waypoint access record",
    async () => {
      last = (await waypointRequests(c, wp, gw)).filter((r) => r.start_time >= since);
      return last.find(pred);
    },
    ms,
    () => JSON.stringify(last.slice(-5)),
  );
}
